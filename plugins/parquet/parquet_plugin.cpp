// The parquet plugin: a lake of Parquet files in Hive partitions, one
// folder per table, each committed by its manifest. As a destination it
// writes through DuckDB's Parquet writer (append, replace, merge as the
// latest version per key; exactly-once with the checkpoint in the
// manifest); as a source it reads a lake's tables back as streams.
#include "lake_table.hpp"
#include "manifest.hpp"

#include <source.hpp>

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>
#include <ingestd/sdk/paths.hpp>

#include <ingestd/kit/sql/name_filter.hpp>

namespace ingestd::plugins::parquet {
namespace {

namespace fs = std::filesystem;
using namespace ingestd::sdk;

struct Settings {
  fs::path path;
  std::vector<std::string> tables;
  std::vector<std::string> partition_by;
  std::string compression = "zstd";
  Bytes target_file_size{int64_t{128} << 20};
  Bytes memory_limit{int64_t{64} << 20};
  // One: the Parquet writer runs beside ingestd's reader and pump threads,
  // and more threads measured slower and larger on 2 cores (see tools/bench/lake).
  int64_t threads = 1;
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    BoundOptions<Settings> b;
    b.add("path", &Settings::path, "The lake's folder; each table is a folder in it").required();
    b.add("tables", &Settings::tables, "Tables to offer as streams, as globs (default: all)").only_for(INGESTD_KIND_SOURCE);
    b.add("partition_by", &Settings::partition_by,
          "Columns to partition files by, in Hive layout (col=value folders); also _ingestd_run_date, _ingestd_run_id")
        .only_for(INGESTD_KIND_DESTINATION);
    b.add("compression", &Settings::compression, "Parquet compression")
        .one_of({"zstd", "snappy", "gzip", "lz4", "uncompressed"})
        .only_for(INGESTD_KIND_DESTINATION);
    b.add("target_file_size", &Settings::target_file_size, "A file is closed and the next begun near this size")
        .only_for(INGESTD_KIND_DESTINATION);
    b.add("memory_limit", &Settings::memory_limit, "The memory DuckDB may use; an append or replace writes a file once half of it holds rows, a merge spills beyond it");
    b.add("threads", &Settings::threads, "DuckDB's worker threads (0: one per core)");
    return b;
  }();
  return o;
}

std::shared_ptr<duck::Database> open_memory_db(const Settings& s) {
  duck::DatabaseSettings d;
  d.path = ":memory:";
  d.memory_limit = std::to_string(s.memory_limit.value >> 10) + "KiB";
  d.threads = static_cast<int>(s.threads);
  // Rows a commit gathers beyond memory_limit spill here rather than grow the process.
  d.temp_directory = (s.path / "_ingestd_spill").string();
  return duck::Database::open(d);
}

// A lake table read through the files its manifest lists.
duck::Relation lake_relation(duck::Connection& c, const fs::path& dir) {
  duck::Relation r;
  r.stream = dir.filename().string();
  const Manifest m = load_manifest(dir);
  if (m.files.empty()) {
    r.from = "(SELECT 1 WHERE false)";
    return r;
  }
  std::string files = "[";
  for (std::size_t i = 0; i < m.files.size(); ++i)
    files += (i ? ", " : "") + duck::literal((dir / m.files[i].path).string());
  r.from = "read_parquet(" + files + "], union_by_name = true)";
  duck::Result cols = c.query("DESCRIBE SELECT * FROM " + r.from);
  for (int64_t i = 0; i < cols.rows(); ++i) r.columns.emplace_back(cols.text(0, i), cols.text(1, i));
  return r;
}

class LakeSource : public Instance {
 public:
  explicit LakeSource(const Settings& s) : settings_(s) {}

  void check() override {
    std::error_code ec;
    if (!fs::is_directory(settings_.path, ec)) throw config_error(settings_.path.string() + ": no such folder");
  }

  std::vector<StreamInfo> discover() override {
    check();
    duck::Connection c(open_memory_db(settings_));
    std::vector<StreamInfo> out;
    for (const fs::path& dir : lake_tables(settings_.path))
      if (kit::sql::name_selected(settings_.tables, {dir.filename().string()})) out.push_back(duck::stream_info(lake_relation(c, dir)));
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    const fs::path dir = settings_.path / r.stream;
    if (r.stream.find('/') != std::string::npos || !has_manifest(dir))
      throw config_error("no lake table '" + r.stream + "' in " + settings_.path.string());
    auto db = open_memory_db(settings_);
    duck::Connection c(db);
    return duck::open_relation_stream(db, lake_relation(c, dir), r);
  }

 private:
  Settings settings_;
};

class LakeDestination : public Instance {
 public:
  explicit LakeDestination(const Settings& s) : settings_(s) {
    lake_.path = s.path;
    lake_.partition_by = s.partition_by;
    lake_.compression = s.compression;
    lake_.target_file_size = s.target_file_size.value;
    lake_.flush_bytes = s.memory_limit.value / 2;
  }

  void check() override { check_can_write((lake_.path / "_ingestd_check").string()); }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    std::error_code ec;
    fs::create_directories(lake_.path, ec);
    return open_lake_table(lake_, open_memory_db(settings_), r);
  }

  std::optional<StoredState> load_state(const std::string& key) override { return load_lake_state(lake_, key); }
  void clear_state(const std::string& key) override { clear_lake_state(lake_, key); }

 private:
  Settings settings_;
  LakeSettings lake_;
};

PluginInfo describe() {
  PluginInfo p{.name = "parquet", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "A Parquet lake in Hive partitions: append, replace, or merge as the latest version per "
                              "key, exactly-once through a manifest per table; read back as streams",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS |
                                INGESTD_EXTRACT_INCREMENTAL_UPDATES,
               .load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE};
  p.transactional_state = true;
  p.source_settings = INGESTD_SOURCE_WHERE;
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const Settings s = options().bind(ctx);
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<LakeSource>(s);
  return std::make_unique<LakeDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::parquet

INGESTD_PLUGIN(ingestd::plugins::parquet::describe, ingestd::plugins::parquet::create)
