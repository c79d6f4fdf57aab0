#include "lake_table.hpp"

#include "manifest.hpp"

#include <arrow_input.hpp>
#include <query_appender.hpp>
#include <types.hpp>

#include <ingestd/kit/sql/stored_state.hpp>
#include <ingestd/kit/sql/table_shape.hpp>

#include <algorithm>
#include <set>

namespace ingestd::plugins::parquet {

namespace fs = std::filesystem;
using namespace ingestd::sdk;
using duck::literal;
using duck::quote;

namespace {

const char* kStaging = "_ingestd_tmp";

std::string joined(const std::vector<std::string>& names, const std::string& prefix = "") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + prefix + quote(n);
  return out;
}

// SQL list of the files, for read_parquet.
std::string file_list(const fs::path& dir, const std::vector<DataFile>& files) {
  std::string out = "[";
  for (std::size_t i = 0; i < files.size(); ++i) out += (i ? ", " : "") + literal((dir / files[i].path).string());
  return out + "]";
}

bool is_metadata(const std::string& name) { return name.rfind("_ingestd_", 0) == 0; }

class LakeTable : public DestinationTable {
 public:
  LakeTable(const LakeSettings& s, std::shared_ptr<duck::Database> db, const TableRequest& r)
      : settings_(s), conn_(std::move(db)), host_(r.host), run_id_(r.run_id), load_(r.load_mode), key_(r.primary_key),
        hard_delete_(r.settings.hard_delete), delete_stale_(r.settings.delete_stale) {
    if (r.table.empty() || r.table.find('/') != std::string::npos || r.table == "." || r.table == "..")
      throw config_error("table '" + r.table + "' cannot name a folder of the lake (no '/')");
    dir_ = s.path / r.table;
    fs::create_directories(dir_);
    {
      ManifestLock lock(dir_);
      manifest_ = load_manifest(dir_);
      recover();
      published_ = manifest_;
    }
    if (load_ != INGESTD_LOAD_REPLACE) view_ = manifest_.files;
    reconcile(r.schema);
  }

  void schema_changed(const Schema& schema) override {
    // Rows so far go out with the old columns (files need not share them:
    // readers take the union of their columns by name), listed at the
    // next commit.
    flush_pending();
    reconcile(schema);
  }

  void write(const BatchReader& batch) override {
    if (batch.truncates()) throw not_supported("a captured TRUNCATE cannot be applied to a Parquet lake");
    const std::string deleted =
        deleted_col_.empty() ? std::string("false") : "coalesce(" + quote(deleted_col_) + ", false)";
    std::string sql = "INSERT INTO " + pending_ + " SELECT " + (data_columns_.empty() ? "" : joined(data_columns_) + ", ") +
                      duck::now_literal() + ", " + deleted + ", " + literal(run_id_);
    if (by_run_date_) sql += ", CURRENT_DATE";
    sql += " FROM _ingestd_batch";
    duck::run_over_batch(conn_, *input_, schema_, batch.array(), sql);
    if (load_ == INGESTD_LOAD_MERGE) return;  // a merge compares a whole commit with the table
    kit::sql::count_changes(host_, batch.rows(), 0, 0);
    if (buffered_bytes() >= settings_.flush_bytes) flush_pending();
  }

  void commit(uint64_t sequence) override { commit_files(sequence, std::nullopt); }

  void commit_with_state(uint64_t sequence, const std::string& key, std::string_view state,
                         int64_t generation) override {
    commit_files(sequence, SavedCheckpoint{std::string(state), generation}, key);
  }

  void close(bool complete) override {
    if (!complete) {
      // Files written since the last commit are listed nowhere: they go.
      remove_unlisted(view_);
      if (load_ == INGESTD_LOAD_REPLACE && !manifest_.replacing_run.empty()) {
        std::vector<DataFile> dropped = std::move(manifest_.replacing_files);
        manifest_.replacing_files.clear();
        manifest_.replacing_run.clear();
        publish();
        remove_unlisted(dropped);
      }
      return;
    }
    if (load_ == INGESTD_LOAD_REPLACE) {
      // The new files become the table in one manifest rename.
      std::vector<DataFile> old = std::move(manifest_.files);
      manifest_.files = std::move(manifest_.replacing_files);
      manifest_.replacing_files.clear();
      manifest_.replacing_run.clear();
      publish();
      remove_unlisted(old);
      return;
    }
    if (delete_stale_ && load_ == INGESTD_LOAD_MERGE && !manifest_.files.empty()) remove_stale();
  }

 private:
  // Files on disk that no manifest lists came from a commit that did not
  // finish (or a replace that died): no reader follows them, and they go.
  void recover() {
    std::error_code ec;
    fs::remove_all(dir_ / kStaging, ec);
    // A replace starts over, as the SQL destinations' staging tables do.
    if (load_ == INGESTD_LOAD_REPLACE && !manifest_.replacing_run.empty()) {
      manifest_.replacing_files.clear();
      manifest_.replacing_run.clear();
      save_manifest(dir_, manifest_);
    }
    std::set<std::string> listed;
    for (const auto& f : manifest_.files) listed.insert(f.path);
    for (const auto& f : manifest_.replacing_files) listed.insert(f.path);
    std::vector<fs::path> orphans;
    for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file() || it->path().extension() != ".parquet") continue;
      if (!listed.count(fs::relative(it->path(), dir_).string())) orphans.push_back(it->path());
    }
    for (const auto& p : orphans) {
      host_.warn("removing " + p.string() + ": written by a commit that did not finish");
      fs::remove(p, ec);
    }
  }

  void reconcile(const Schema& schema) {
    schema_ = schema;
    data_columns_.clear();
    deleted_col_.clear();
    std::string columns;
    for (const Field& f : schema.fields) {
      if (f.name == INGESTD_COLUMN_DELETED) deleted_col_ = f.name;
      if (is_metadata(f.name)) continue;
      data_columns_.push_back(f.name);
      columns += quote(f.name) + " " + duck::declared_for(f.type) + ", ";
    }
    by_run_date_ = std::find(settings_.partition_by.begin(), settings_.partition_by.end(), kRunDate) !=
                   settings_.partition_by.end();
    for (const auto& p : settings_.partition_by) {
      if (p == kRunDate || p == INGESTD_COLUMN_RUN_ID) continue;
      if (std::find(data_columns_.begin(), data_columns_.end(), p) == data_columns_.end()) {
        std::string all;
        for (const auto& c : data_columns_) all += (all.empty() ? "" : ", ") + c;
        throw config_error("partition_by: '" + p + "' is not a column of " + dir_.filename().string() +
                           " (columns: " + all + "; or _ingestd_run_date, _ingestd_run_id)");
      }
    }
    for (const auto& k : key_)
      if (load_ == INGESTD_LOAD_MERGE && std::find(data_columns_.begin(), data_columns_.end(), k) == data_columns_.end())
        throw config_error("primary key column '" + k + "' is not a column of " + dir_.filename().string());
    pending_columns_ = columns + quote(INGESTD_COLUMN_SYNCED_AT) + " TIMESTAMPTZ, " + quote(INGESTD_COLUMN_DELETED) +
                       " BOOLEAN, " + quote(INGESTD_COLUMN_RUN_ID) + " VARCHAR" +
                       (by_run_date_ ? ", " + quote(kRunDate) + " DATE" : std::string());
    if (!pending_.empty()) conn_.exec("DROP TABLE " + pending_);
    pending_ = quote("_ingestd_pending_" + std::to_string(++generation_));
    conn_.exec("CREATE TEMP TABLE " + pending_ + " (" + pending_columns_ + ")");
    input_ = std::make_unique<duck::ArrowInput>(conn_, schema_);
  }

  int64_t buffered_bytes() {
    return conn_.query("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'")
        .integer(0, 0);
  }

  int64_t pending_rows() { return conn_.query("SELECT count(*) FROM " + pending_).integer(0, 0); }

  // Deterministic per run and batch: a batch written again after a failed
  // attempt replaces its own files instead of adding copies.
  std::string next_name() { return run_id_ + "-" + std::to_string(sequence_) + "-" + std::to_string(++part_); }

  // Writes the pending rows out as files of view_ (not yet listed).
  void flush_pending() {
    if (pending_rows() == 0) return;
    if (load_ == INGESTD_LOAD_MERGE) {
      merge_pending(next_name());
    } else {
      std::vector<DataFile> added = copy_out("SELECT * FROM " + pending_, next_name());
      view_.insert(view_.end(), added.begin(), added.end());
    }
    // Dropped and made anew: DuckDB frees a dropped table's memory, not a deleted row's.
    conn_.exec("DROP TABLE " + pending_);
    conn_.exec("CREATE TEMP TABLE " + pending_ + " (" + pending_columns_ + ")");
  }

  // Makes the pending rows and the checkpoint durable together: files
  // synced and in place first, then the manifest naming them renamed in.
  void commit_files(uint64_t sequence, std::optional<SavedCheckpoint> checkpoint, const std::string& key = "") {
    sequence_ = sequence;
    part_ = 0;
    flush_pending();
    std::vector<DataFile>& listed = load_ == INGESTD_LOAD_REPLACE ? manifest_.replacing_files : manifest_.files;
    const bool changed = listed != view_;
    if (!changed && !checkpoint) return;
    Manifest previous = manifest_;
    const std::vector<DataFile>& before = load_ == INGESTD_LOAD_REPLACE ? previous.replacing_files : previous.files;
    listed = view_;
    if (load_ == INGESTD_LOAD_REPLACE) manifest_.replacing_run = run_id_;
    if (checkpoint) manifest_.checkpoints[key] = *checkpoint;
    try {
      publish(key, checkpoint ? &*checkpoint : nullptr);
    } catch (...) {
      manifest_ = std::move(previous);  // the files of this commit stay unlisted, and go at close
      throw;
    }
    remove_unlisted(before);  // a merge's rewrite replaced them
  }

  // Writes the rows `select` returns as Parquet files named `name`-N under
  // the table's partitions, and returns them (in place, not yet listed).
  std::vector<DataFile> copy_out(const std::string& select, const std::string& name) {
    const fs::path staging = dir_ / kStaging / name;
    std::error_code ec;
    fs::remove_all(staging, ec);
    fs::create_directories(staging.parent_path());
    std::string options =
        "FORMAT parquet, COMPRESSION " + settings_.compression + ", FILENAME_PATTERN " + literal(name + "-{i}");
    // DuckDB splits by size only unpartitioned output: a partitioned commit
    // writes one file per partition.
    if (settings_.partition_by.empty()) options += ", FILE_SIZE_BYTES " + std::to_string(settings_.target_file_size);
    else options += ", PARTITION_BY (" + joined(settings_.partition_by) + "), WRITE_PARTITION_COLUMNS true";
    conn_.exec("COPY (" + select + ") TO " + literal(staging.string()) + " (" + options + ")");
    std::vector<DataFile> out;
    if (!fs::exists(staging, ec)) return out;
    duck::Result counts = conn_.query(
        "SELECT file_name, sum(row_group_num_rows) FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows "
        "FROM parquet_metadata(" + literal((staging / "**" / "*.parquet").string()) + ")) GROUP BY ALL ORDER BY 1");
    std::map<fs::path, int64_t> rows;
    for (int64_t i = 0; i < counts.rows(); ++i) rows[fs::path(counts.text(0, i)).lexically_normal()] = counts.integer(1, i);
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(staging); it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file()) files.push_back(it->path());
    std::sort(files.begin(), files.end());
    std::set<fs::path> folders;
    for (const fs::path& f : files) {
      const fs::path relative = fs::relative(f, staging);
      const fs::path target = dir_ / relative;
      fs::create_directories(target.parent_path());
      sync_path(f);
      // Deterministic names: a batch written again replaces its own file.
      fs::rename(f, target);
      folders.insert(target.parent_path());
      out.push_back({relative.string(), rows[f.lexically_normal()], run_id_});
    }
    for (const fs::path& d : folders) sync_path(d);
    fs::remove_all(staging, ec);
    return out;
  }

  // Merge as "the latest version per key": rows of this commit that change
  // nothing are dropped; when any row changes, the table is written anew
  // (unchanged rows kept as they were) and its old files go.
  void merge_pending(const std::string& name) {
    const std::string latest = "(SELECT * FROM " + pending_ + " QUALIFY row_number() OVER (PARTITION BY " +
                               joined(key_) + " ORDER BY rowid DESC) = 1)";
    if (delete_stale_) {
      if (seen_.empty()) {
        seen_ = quote("_ingestd_seen_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        conn_.exec("CREATE TEMP TABLE " + seen_ + " AS SELECT " + joined(key_) + " FROM " + pending_ + " LIMIT 0");
      }
      conn_.exec("INSERT INTO " + seen_ + " SELECT " + joined(key_) + " FROM " + latest);
    }
    std::string current = view_.empty() ? "(SELECT * FROM " + pending_ + " LIMIT 0)"
                                        : "read_parquet(" + file_list(dir_, view_) + ", union_by_name = true)";
    std::string on, differs = "coalesce(c." + quote(INGESTD_COLUMN_DELETED) + ", false) IS DISTINCT FROM l." +
                              quote(INGESTD_COLUMN_DELETED);
    for (const auto& k : key_) on += (on.empty() ? "" : " AND ") + ("c." + quote(k) + " = l." + quote(k));
    for (const auto& c : data_columns_)
      if (std::find(key_.begin(), key_.end(), c) == key_.end())
        differs += " OR c." + quote(c) + " IS DISTINCT FROM l." + quote(c);
    const std::string changed_table = quote("_ingestd_changed_" + std::to_string(generation_));
    conn_.exec("CREATE OR REPLACE TEMP TABLE " + changed_table + " AS SELECT l.*, c." + quote(key_[0]) +
               " IS NOT NULL AS _ingestd_existed FROM " + latest + " l LEFT JOIN " + current + " c ON (" + on +
               ") WHERE c." + quote(key_[0]) + " IS NULL OR " + differs);
    duck::Result counts = conn_.query(
        "SELECT count(*) FILTER (WHERE NOT _ingestd_existed AND NOT " + quote(INGESTD_COLUMN_DELETED) +
        "), count(*) FILTER (WHERE _ingestd_existed AND NOT " + quote(INGESTD_COLUMN_DELETED) +
        "), count(*) FILTER (WHERE " + quote(INGESTD_COLUMN_DELETED) + ") FROM " + changed_table);
    const int64_t inserted = counts.integer(0, 0), updated = counts.integer(1, 0), deleted = counts.integer(2, 0);
    if (inserted + updated + deleted == 0) return;  // nothing changes: no file is rewritten
    std::string keep = "SELECT c.* FROM " + current + " c WHERE NOT EXISTS (SELECT 1 FROM " + changed_table +
                       " l WHERE " + on + ")";
    const std::string del = quote(INGESTD_COLUMN_DELETED);
    std::string fresh = "SELECT * EXCLUDE (_ingestd_existed) FROM " + changed_table + " WHERE NOT " + del;
    if (!hard_delete_) {
      // A row deleted at the source keeps its last values, marked deleted;
      // a delete of a row never loaded leaves the delete's own row.
      fresh += " UNION ALL BY NAME SELECT c.* REPLACE (true AS " + del + ", l." + quote(INGESTD_COLUMN_SYNCED_AT) +
               " AS " + quote(INGESTD_COLUMN_SYNCED_AT) + ", l." + quote(INGESTD_COLUMN_RUN_ID) + " AS " +
               quote(INGESTD_COLUMN_RUN_ID) + ") FROM " + current + " c JOIN " + changed_table + " l ON (" + on +
               ") WHERE l." + del + " UNION ALL BY NAME SELECT * EXCLUDE (_ingestd_existed) FROM " + changed_table +
               " WHERE " + del + " AND NOT _ingestd_existed";
    }
    std::vector<DataFile> rewritten = copy_out(keep + " UNION ALL BY NAME " + fresh, name);
    remove_unlisted(view_);  // an earlier rewrite of this commit, never listed
    view_ = std::move(rewritten);
    kit::sql::count_changes(host_, inserted, updated, deleted);
    conn_.exec("DROP TABLE " + changed_table);
  }

  // delete_stale: rows this complete snapshot did not deliver are gone.
  void remove_stale() {
    if (seen_.empty()) return;
    std::string on;
    for (const auto& k : key_) on += (on.empty() ? "" : " AND ") + ("s." + quote(k) + " = c." + quote(k));
    const std::string current = "read_parquet(" + file_list(dir_, manifest_.files) + ", union_by_name = true)";
    const std::string unseen = "NOT EXISTS (SELECT 1 FROM " + seen_ + " s WHERE " + on + ")";
    const int64_t stale = conn_.query("SELECT count(*) FROM " + current + " c WHERE " + unseen +
                                      " AND NOT coalesce(c." + quote(INGESTD_COLUMN_DELETED) + ", false)")
                              .integer(0, 0);
    if (stale == 0) return;
    std::string select = hard_delete_ ? "SELECT c.* FROM " + current + " c WHERE NOT (" + unseen + ")"
                                      : "SELECT c.* REPLACE (c." + quote(INGESTD_COLUMN_DELETED) + " OR " + unseen +
                                            " AS " + quote(INGESTD_COLUMN_DELETED) + ") FROM " + current + " c";
    std::vector<DataFile> before = manifest_.files;
    view_ = manifest_.files = copy_out(select, run_id_ + "-stale-" + std::to_string(++part_));
    publish();
    remove_unlisted(before);
    host_.count(hard_delete_ ? "rows_deleted_stale" : "rows_marked_stale", stale);
    kit::sql::count_changes(host_, 0, 0, stale);
  }

  // Writes manifest_ as the table's: under the manifest lock, and only over
  // the manifest this writer last read or wrote. Another run that wrote it
  // since, with state as new as `checkpoint` or newer (it took the flow over
  // while this run was paused past its lease), wins: this commit is refused.
  // Older state there (a run this one took over, which committed after this
  // run read the table) is written over: this run read from before it. With
  // no checkpoint to compare, any other writer wins.
  void publish(const std::string& key = "", const SavedCheckpoint* checkpoint = nullptr) {
    ManifestLock lock(dir_);
    const Manifest on_disk = load_manifest(dir_);
    if (on_disk != published_) {
      const auto theirs = on_disk.checkpoints.find(key);
      if (!checkpoint)
        throw io_error("lake table " + dir_.string() + ": another run wrote its manifest since this run read it; "
                       "this run's change is refused (one run writes a table at a time)", false);
      if (theirs != on_disk.checkpoints.end() && theirs->second.generation >= checkpoint->generation)
        throw kit::sql::stale_state_commit(key, checkpoint->generation,
                                           "generation " + std::to_string(theirs->second.generation));
      for (const auto& [k, cp] : on_disk.checkpoints) manifest_.checkpoints.try_emplace(k, cp);
    }
    // A run that opened the table meanwhile removed files no manifest listed.
    for (const auto* files : {&manifest_.files, &manifest_.replacing_files})
      for (const DataFile& f : *files)
        if (!fs::exists(dir_ / f.path))
          throw io_error("lake table " + dir_.string() + ": " + f.path + " is gone (another run opened the table "
                         "while this one wrote it); this commit is refused", false);
    save_manifest(dir_, manifest_);
    published_ = manifest_;
  }

  // Removes those of `files` the manifest does not list.
  void remove_unlisted(const std::vector<DataFile>& files) {
    std::set<std::string> kept;
    for (const auto& f : manifest_.files) kept.insert(f.path);
    for (const auto& f : manifest_.replacing_files) kept.insert(f.path);
    std::error_code ec;
    for (const auto& f : files)
      if (!kept.count(f.path)) fs::remove(dir_ / f.path, ec);
  }

  LakeSettings settings_;
  duck::Connection conn_;
  Host host_;
  std::string run_id_;
  uint32_t load_;
  std::vector<std::string> key_;
  bool hard_delete_, delete_stale_;
  fs::path dir_;
  Manifest manifest_;
  Manifest published_;  // as this writer last read or wrote it
  Schema schema_;
  std::vector<std::string> data_columns_;
  std::string deleted_col_, pending_, pending_columns_, seen_;
  bool by_run_date_ = false;
  int generation_ = 0;
  uint64_t sequence_ = 0;
  int part_ = 0;
  // The table's files as this writer has made it: the manifest's, plus what
  // was written since the last commit (for a replace: the new table's).
  std::vector<DataFile> view_;
  std::unique_ptr<duck::ArrowInput> input_;
};

}  // namespace

std::unique_ptr<DestinationTable> open_lake_table(const LakeSettings& settings, std::shared_ptr<duck::Database> db,
                                                  const TableRequest& request) {
  return std::make_unique<LakeTable>(settings, std::move(db), request);
}

std::optional<StoredState> load_lake_state(const LakeSettings& settings, const std::string& key) {
  for (const fs::path& dir : lake_tables(settings.path)) {
    Manifest m = load_manifest(dir);
    auto it = m.checkpoints.find(key);
    if (it != m.checkpoints.end()) return StoredState{it->second.data, it->second.generation};
  }
  return std::nullopt;
}

void clear_lake_state(const LakeSettings& settings, const std::string& key) {
  for (const fs::path& dir : lake_tables(settings.path)) {
    ManifestLock lock(dir);
    Manifest m = load_manifest(dir);
    if (m.checkpoints.erase(key)) save_manifest(dir, m);
  }
}

}  // namespace ingestd::plugins::parquet
