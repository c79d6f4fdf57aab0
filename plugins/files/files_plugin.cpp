// The files plugin: CSV and JSON Lines files as a source (a file, a folder or
// a glob per stream) and as a destination (one file per stream in a folder).
#include "csv_stream.hpp"
#include "file_progress.hpp"
#include "file_table.hpp"
#include "jsonl_stream.hpp"
#include "options.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/paths.hpp>

#include <filesystem>
#include <mutex>

namespace ingestd::plugins::files {
namespace {

using namespace ingestd::sdk;

class FilesSource : public Instance {
 public:
  FilesSource(const FileOptions& o, const CreateContext& ctx) : o_(source_options(o, ctx)), base_dir_(ctx.base_dir) {}

  void check() override {
    if (o_.files.list().empty()) throw config_error("no files match " + o_.files.pattern);
  }

  std::vector<StreamInfo> discover() override {
    auto paths = o_.files.list();
    if (paths.empty()) throw config_error("no files match " + o_.files.pattern);
    StreamInfo s;
    s.name = o_.stream;
    s.schema = format(paths) == Format::Csv ? infer_csv_schema(o_, paths)
                                                   : infer_jsonl_schema(o_, paths);
    for (const auto& f : s.schema.fields)
      if (f.type.id == TypeId::TimestampUs || f.type.id == TypeId::TimestampUsLocal || f.type.id == TypeId::Date32)
        s.cursor_candidates.push_back(f.name);
    return {s};
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    if (r.stream != o_.stream) throw config_error("no stream '" + r.stream + "' (this source has '" + o_.stream + "')");
    std::vector<std::string> skipped;
    auto paths = o_.files.list(&skipped);
    for (const auto& s : skipped) r.host.warn(s);
    if (paths.empty()) throw config_error("no files match " + o_.files.pattern);
    Format f = format(paths);
    FileProgress* progress = nullptr;
    const std::vector<std::string> listed = paths;
    if (r.extract_mode == INGESTD_EXTRACT_INCREMENTAL_APPENDS) {
      // New and changed files only; the state remembers each file read.
      auto p = std::make_unique<FileProgress>(r.state, paths, base_dir_);
      paths = p->pending();
      r.host.info(std::to_string(paths.size()) + " new or changed file(s) to read");
      progress = p.get();
      std::lock_guard lock(mutex_);
      progress_.push_back(std::move(p));
    } else if (r.extract_mode != INGESTD_EXTRACT_SNAPSHOT) {
      throw not_supported("the files source reads snapshots or incremental-appends (new and changed files)");
    }
    if (f == Format::Csv) return open_csv_stream(o_, std::move(paths), listed, r, *this, progress);
    return open_jsonl_stream(o_, std::move(paths), listed, r, *this, progress);
  }

 private:
  Format format(const std::vector<std::string>& paths) const {
    return resolve_format(o_.format_option, paths.front());
  }

  SourceOptions o_;
  std::string base_dir_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<FileProgress>> progress_;  // live as long as their streams
};

class FilesDestination : public Instance {
 public:
  explicit FilesDestination(const FileOptions& o) : o_(destination_options(o)) {}

  // Changes nothing: the folder, or where a run would create it, is writable.
  void check() override { check_can_write(o_.dir); }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    return open_file_table(o_, r);
  }

 private:
  DestinationOptions o_;
};

PluginInfo describe() {
  PluginInfo p{.name = "files", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "CSV and JSON Lines files: read a file, folder or glob; write one file per stream",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS,
               .load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE};
  p.options = file_options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const FileOptions o = file_options().bind(ctx);
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<FilesSource>(o, ctx);
  return std::make_unique<FilesDestination>(o);
}

}  // namespace
}  // namespace ingestd::plugins::files

INGESTD_PLUGIN(ingestd::plugins::files::describe, ingestd::plugins::files::create)
