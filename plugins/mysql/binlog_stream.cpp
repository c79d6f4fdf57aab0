#include "binlog_stream.hpp"

#include "binlog_rows.hpp"

#include <ingestd/sdk/evolving_batch.hpp>

#include <mariadb_rpl.h>

#include <cctype>
#include <chrono>
#include <deque>
#include <random>

namespace ingestd::plugins::mysql {

using namespace ingestd::sdk;

namespace {

using SteadyClock = std::chrono::steady_clock;

// How often an idle server sends a heartbeat: the stream notices a stop and
// sends out waiting rows at least this often.
constexpr int64_t kHeartbeatNs = 1'000'000'000;
// How often an idle stream saves the server's position, so a restart does not re-read other tables' changes.
constexpr auto kIdleCheckpointInterval = std::chrono::seconds(10);
// How long rows may wait for more under a steady stream of changes: at the
// next commit past this age they go out.
constexpr auto kMaxBatchAge = std::chrono::milliseconds(200);
// Asks the server to end the dump at the end of the log instead of waiting (ingestd run).
constexpr unsigned kDumpNonBlock = 1;

struct Position {
  std::string file;
  uint64_t pos = 0;
  // Binlog files share a name and count up in a fixed-width suffix.
  bool operator<(const Position& o) const { return file != o.file ? file < o.file : pos < o.pos; }
  std::string text() const { return file + ":" + std::to_string(pos); }
};

std::string checkpoint_of(const Position& p) {
  json::Object o;
  o.set("file", json::Value(p.file));
  o.set("pos", json::Value(static_cast<int64_t>(p.pos)));
  return json::Value(std::move(o)).dump();
}

std::optional<Position> position_of_checkpoint(std::string_view checkpoint) {
  try {
    const json::Value v = json::Value::parse(checkpoint);
    if (v["file"].is_string() && v["pos"].is_number()) return Position{v["file"].as_string(), static_cast<uint64_t>(v["pos"].as_int())};
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The table a TRUNCATE statement names ("TRUNCATE [TABLE] [`db`.]`t`"), or nothing.
std::optional<std::pair<std::string, std::string>> truncated_table(std::string_view statement, const std::string& db) {
  std::vector<std::string> words;
  std::string word;
  for (char c : statement) {
    if (c == '`') continue;
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  if (words.empty() || lower(words[0]) != "truncate") return std::nullopt;
  std::size_t at = words.size() > 1 && lower(words[1]) == "table" ? 2 : 1;
  if (at >= words.size()) return std::nullopt;
  const auto dot = words[at].find('.');
  if (dot == std::string::npos) return std::make_pair(db, words[at]);
  return std::make_pair(words[at].substr(0, dot), words[at].substr(dot + 1));
}

class Rpl {
 public:
  Rpl(const ConnectOptions& options, const Position& from, bool follow) : db_(options) {
    db_.exec("SET @master_binlog_checksum = @@global.binlog_checksum");
    db_.exec("SET @mariadb_slave_capability = 4");
    db_.exec("SET @master_heartbeat_period = " + std::to_string(kHeartbeatNs));
    rpl_ = mariadb_rpl_init(db_.raw());
    if (!rpl_) throw io_error("cannot start reading the binary log: out of memory", true);
    std::random_device rd;
    // A replica id of its own: the server ends an older dump with the same id.
    const unsigned server_id = 0x40000000u | (rd() & 0x3fffffffu);
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, from.file.c_str(), from.file.size());
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, static_cast<unsigned long>(from.pos));
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_SERVER_ID, server_id);
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FLAGS, follow ? 0u : kDumpNonBlock);
    if (mariadb_rpl_open(rpl_) != 0) fail("cannot read the binary log from " + from.text());
  }
  ~Rpl() {
    if (event_) mariadb_free_rpl_event(event_);
    if (rpl_) mariadb_rpl_close(rpl_);
  }
  Rpl(const Rpl&) = delete;
  Rpl& operator=(const Rpl&) = delete;

  // The next event, or nullptr at the end of the log (a non-blocking dump).
  MARIADB_RPL_EVENT* next() {
    event_ = mariadb_rpl_fetch(rpl_, event_);
    if (!event_) {
      if (mariadb_rpl_errno(rpl_) != 0 || mysql_errno(db_.raw()) != 0) fail("reading the binary log");
      return nullptr;
    }
    return event_;
  }

  [[noreturn]] void fail(const std::string& what) {
    const unsigned code = mysql_errno(db_.raw());
    std::string why = mariadb_rpl_errno(rpl_) ? mariadb_rpl_error(rpl_) : mysql_error(db_.raw());
    // 1236: the server cannot serve the position (purged, or past the end).
    if (code == 1236) throw config_error(what + ": " + why);
    throw io_error(what + ": " + why, true);
  }

 private:
  Connection db_;
  MARIADB_RPL* rpl_ = nullptr;
  MARIADB_RPL_EVENT* event_ = nullptr;
};

std::string_view view(const MARIADB_STRING& s) { return {s.str ? s.str : "", s.length}; }

class BinlogStream : public SourceStream {
 public:
  BinlogStream(const SourceSettings& settings, const StreamRequest& r, const Instance& owner)
      : settings_(settings), request_(r), host_(r.host), owner_(owner), follow_(r.settings.follow),
        batch_rows_(r.batch_rows), db_(with_cancel(settings.connect)) {
    if (r.extract_mode != INGESTD_EXTRACT_INCREMENTAL_UPDATES)
      throw config_error("capture = \"binlog\" reads every insert, update and delete: set extract = "
                         "\"incremental-updates\" on the flow");
    if (!r.settings.where.empty())
      throw config_error("capture = \"binlog\" cannot apply where: the change stream carries every row of " + r.stream);
    check_server();
    const auto [database, table] = split_stream(r.stream, settings.connect.database);
    table_ = describe_table(db_, database, table);
    if (table_.columns.empty()) throw config_error("no table " + r.stream);
    if (table_.view) throw config_error(r.stream + " is a view: change data capture reads tables");
    key_ = !r.primary_key.empty() ? r.primary_key : table_.primary_key;
    if (key_.empty())
      throw config_error("change data capture of " + r.stream + " needs a primary key: the table has none; add one, "
                         "or set primary_key on the flow");
    learn_columns();
    batch_ = std::make_unique<EvolvingBatch>(stream_schema());
    if (!follow_) target_ = server_position();

    const std::optional<Position> resume = r.state ? position_of_checkpoint(*r.state) : std::nullopt;
    if (r.state && !resume) throw data_error("the saved state of " + r.stream + " is not a binary log position");
    if (resume) {
      if (!has_log(resume->file))
        throw config_error("binary log " + resume->file + " that " + r.stream + " resumes from is gone (purged by "
                           "expire_logs_days or PURGE BINARY LOGS); `ingestd run --resnapshot` copies the table "
                           "again and streams from there");
      start_streaming(*resume);
      return;
    }
    // No saved position: copy the table in a snapshot, then stream from where it stands.
    auto snapshot = std::make_unique<Connection>(with_cancel(settings.connect));
    consistent_ = snapshot_position(*snapshot);
    host_.info("copying " + r.stream + " at binary log position " + consistent_.text() + " first");
    StreamRequest copy = r;
    copy.extract_mode = INGESTD_EXTRACT_SNAPSHOT;
    copy.state.reset();
    copy_ = open_change_snapshot(settings, copy, owner, std::move(snapshot));
  }

  Schema schema() override { return batch_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      if (!ready_.empty()) {
        out = std::move(ready_.front());
        ready_.pop_front();
        return true;
      }
      if (copy_) {
        if (stopping()) throw cancelled_error();  // a copy half done is no position to resume from
        if (copy_->next(out)) return true;
        copy_.reset();
        start_streaming(consistent_);
        complete(consistent_);
        continue;
      }
      if (ended_) return false;
      if (stopping()) {
        stop();
        continue;
      }
      MARIADB_RPL_EVENT* e = rpl_->next();
      if (!e) {  // the end of the log, in a non-blocking dump
        if (in_transaction_) throw io_error("the binary log of " + request_.stream + " ended inside a transaction", true);
        end();
        continue;
      }
      handle(*e);
    }
  }

 private:
  ConnectOptions with_cancel(ConnectOptions o) const {
    o.cancelled = [this] { return stopping(); };
    return o;
  }

  bool stopping() const { return owner_.cancelled() || host_.cancelled(); }

  void check_server() {
    Rows r = db_.query("SELECT @@log_bin, @@binlog_format, @@binlog_row_image");
    std::string log_bin, format, image;
    while (r.next()) {
      log_bin = r.text(0);
      format = r.text(1);
      image = r.text(2);
    }
    if (log_bin != "1")
      throw config_error("capture = \"binlog\" needs the server's binary log: start it with log_bin");
    if (format != "ROW")
      throw config_error("capture = \"binlog\" needs binlog_format = ROW (the server has " + format + ")");
    if (image != "FULL")
      throw config_error("capture = \"binlog\" needs binlog_row_image = FULL (the server has " + image +
                         "): a change must carry every column");
  }

  Position server_position() {
    Rows r = db_.query("SHOW MASTER STATUS");
    Position p;
    while (r.next()) p = Position{r.text(0), std::stoull(r.text(1))};
    if (p.file.empty()) throw config_error("the server reports no binary log position (SHOW MASTER STATUS is empty)");
    return p;
  }

  bool has_log(const std::string& file) {
    Rows r = db_.query("SHOW BINARY LOGS");
    bool found = false;
    while (r.next()) found = found || r.text(0) == file;
    return found;
  }

  // Starts a consistent snapshot on `c` and returns the binary log position it stands at.
  Position snapshot_position(Connection& c) {
    c.exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    // MariaDB names the position of a consistent snapshot itself.
    c.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    Rows r = c.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    Position p;
    while (r.next()) {
      if (r.text(0) == "Binlog_snapshot_file") p.file = r.text(1);
      if (r.text(0) == "Binlog_snapshot_position") p.pos = std::stoull(r.text(1));
    }
    if (!p.file.empty()) return p;
    // MySQL: writes held off for a moment while the snapshot starts.
    c.exec("ROLLBACK");
    c.exec("FLUSH TABLES WITH READ LOCK");
    c.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    Rows m = c.query("SHOW MASTER STATUS");
    while (m.next()) p = Position{m.text(0), std::stoull(m.text(1))};
    c.exec("UNLOCK TABLES");
    if (p.file.empty()) throw config_error("the server reports no binary log position (SHOW MASTER STATUS is empty)");
    return p;
  }

  void start_streaming(const Position& from) {
    ConnectOptions o = settings_.connect;
    o.read_timeout_ms = std::max<int64_t>(o.read_timeout_ms, 3 * kHeartbeatNs / 1'000'000);
    rpl_ = std::make_unique<Rpl>(o, from, follow_);
    position_ = last_commit_ = emitted_ = from;
    host_.debug("streaming changes of " + request_.stream + " from " + from.text());
  }

  // Column facts the binlog leaves out (signedness, ENUM and SET members), and where the key is.
  void learn_columns() {
    key_columns_.clear();
    for (const auto& k : key_)
      for (std::size_t i = 0; i < table_.columns.size(); ++i)
        if (table_.columns[i].name == k) key_columns_.push_back(i);
    hints_.clear();
    for (const SourceColumn& c : table_.columns) {
      binlog::ColumnHint h;
      const std::string type = lower(c.column_type);
      h.is_unsigned = type.find("unsigned") != std::string::npos;
      if (type.rfind("enum(", 0) == 0 || type.rfind("set(", 0) == 0) h.labels = binlog::labels_of(c.column_type);
      hints_.push_back(std::move(h));
    }
  }

  Schema stream_schema() const {
    Schema columns;
    for (const SourceColumn& c : table_.columns) columns.fields.push_back({c.name, c.type, true});
    columns.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
    return columns;
  }

  void handle(MARIADB_RPL_EVENT& e) {
    if (e.event_type == ROTATE_EVENT) {
      position_ = Position{std::string(view(e.event.rotate.filename)), e.event.rotate.position};
      return;
    }
    const Position after{position_.file, e.next_event_pos ? e.next_event_pos : position_.pos};
    if (e.next_event_pos) position_ = after;
    switch (e.event_type) {
      case GTID_EVENT:
        // A standalone event group (DDL) has no BEGIN/COMMIT of its own.
        begin_transaction(!(e.event.gtid.flags & FL_STANDALONE));
        return;
      case QUERY_EVENT: return query(e, after);
      case XID_EVENT: return commit(after);
      case TABLE_MAP_EVENT: return table_map(e);
      case WRITE_ROWS_EVENT_V1:
      case UPDATE_ROWS_EVENT_V1:
      case DELETE_ROWS_EVENT_V1:
      case WRITE_ROWS_EVENT:
      case UPDATE_ROWS_EVENT:
      case DELETE_ROWS_EVENT: return rows(e);
      case WRITE_ROWS_COMPRESSED_EVENT_V1:
      case UPDATE_ROWS_COMPRESSED_EVENT_V1:
      case DELETE_ROWS_COMPRESSED_EVENT_V1:
      case WRITE_ROWS_COMPRESSED_EVENT:
      case UPDATE_ROWS_COMPRESSED_EVENT:
      case DELETE_ROWS_COMPRESSED_EVENT:
        if (e.event.rows.table_id == table_id_ && table_id_known_)
          throw config_error("the binary log holds compressed row events (log_bin_compress = ON), which ingestd "
                             "does not read; turn it off");
        return;
      case HEARTBEAT_LOG_EVENT: return idle();
      default: return;
    }
  }

  void begin_transaction(bool grouped) {
    in_transaction_ = grouped;
    rows_at_begin_ = batch_->rows().rows();
    transaction_emitted_ = false;
  }

  void query(MARIADB_RPL_EVENT& e, const Position& after) {
    const std::string statement(view(e.event.query.statement));
    const std::string head = lower(statement.substr(0, 8));
    if (head.rfind("begin", 0) == 0) return begin_transaction(true);
    if (head.rfind("commit", 0) == 0) return commit(after);
    if (head.rfind("rollback", 0) == 0) {
      batch_->rows().truncate(rows_at_begin_);
      in_transaction_ = false;
      return;
    }
    // Anything else is a statement of its own (DDL): a truncate of the table
    // empties it at the destination; any DDL may have changed its columns,
    // which the next table map tells.
    if (const auto t = truncated_table(statement, std::string(view(e.event.query.database)));
        t && t->first == table_.database && t->second == table_.table) {
      if (batch_->rows().rows() > 0) complete(std::nullopt);
      truncate_next_ = true;
    }
    if (!in_transaction_) commit(after);
  }

  void commit(const Position& after) {
    in_transaction_ = false;
    last_commit_ = after;
    rows_at_begin_ = batch_->rows().rows();
    const int64_t rows = batch_->rows().rows();
    if (rows >= batch_rows_ || truncate_next_ || (rows > 0 && SteadyClock::now() - first_row_at_ >= kMaxBatchAge))
      complete(last_commit_);
    else if (!follow_ && !(last_commit_ < target_)) end();
  }

  void table_map(MARIADB_RPL_EVENT& e) {
    const auto& m = e.event.table_map;
    if (view(m.database) != table_.database || view(m.table) != table_.table) return;
    table_id_ = m.table_id;
    table_id_known_ = true;
    map_ = binlog::table_map(view(m.column_types), view(m.metadata));
    if (map_.types.size() == table_.columns.size() && map_types_ == map_.types) return;
    const bool first = map_types_.empty();
    map_types_ = map_.types;
    if (first && map_.types.size() == table_.columns.size()) return;
    // The columns changed (a DDL the stream passed): the catalog says how.
    if (batch_->rows().rows() > 0) complete(std::nullopt);
    table_ = describe_table(db_, table_.database, table_.table);
    if (table_.columns.size() != map_.types.size())
      throw data_error("the binary log has " + std::to_string(map_.types.size()) + " columns for " + request_.stream +
                       " and the table now has " + std::to_string(table_.columns.size()) +
                       " (changed again since); `ingestd run --resnapshot` copies it again");
    learn_columns();
    host_.info(request_.stream + ": its columns changed at the source");
    batch_ = std::make_unique<EvolvingBatch>(stream_schema());
    announce_ = true;
  }

  void rows(MARIADB_RPL_EVENT& e) {
    const auto& r = e.event.rows;
    if (!table_id_known_ || r.table_id != table_id_) return;
    const std::size_t bitmap = (r.column_count + 7) / 8;
    const std::string_view present(reinterpret_cast<const char*>(r.column_bitmap), r.column_bitmap ? bitmap : 0);
    const std::string_view present_after(reinterpret_cast<const char*>(r.column_update_bitmap),
                                         r.column_update_bitmap ? bitmap : 0);
    const std::string_view data(static_cast<const char*>(r.row_data), r.row_data_size);
    using Kind = binlog::RowChange::Kind;
    const Kind kind = r.type == WRITE_ROWS ? Kind::Insert : r.type == UPDATE_ROWS ? Kind::Update : Kind::Delete;
    std::vector<binlog::RowChange> changes;
    try {
      changes = binlog::decode_rows(map_, hints_, kind, present, present_after, data);
    } catch (const std::runtime_error& err) {
      throw data_error("a change of " + request_.stream + " at binary log " + position_.text() + ": " + err.what());
    }
    for (const auto& c : changes) {
      if (c.kind == Kind::Insert) {
        append(c.after, false);
      } else if (c.kind == Kind::Delete) {
        append(c.before, true);
      } else {
        // An update that changed the key deletes the row under its old key.
        if (key_changed(c.before, c.after)) append(c.before, true);
        append(c.after, false);
      }
      // A large transaction goes out in several batches; only its last carries a checkpoint.
      if (batch_->rows().rows() >= batch_rows_) complete(std::nullopt);
    }
  }

  bool key_changed(const binlog::Image& before, const binlog::Image& after) const {
    for (std::size_t i : key_columns_)
      if (i >= before.size() || i >= after.size() || before[i] != after[i]) return true;
    return false;
  }

  void append(const binlog::Image& row, bool deleted) {
    const std::size_t n = batch_->schema().size() - 1;  // the last is _ingestd_deleted
    if (batch_->rows().rows() == 0) first_row_at_ = SteadyClock::now();
    for (std::size_t attempts = 0;; ++attempts) {
      BatchBuilder& rows = batch_->rows();
      const int64_t at = rows.rows();
      std::optional<std::size_t> misfit;
      for (std::size_t i = 0; i < n && !misfit; ++i) {
        ColumnBuilder& col = rows.column(i);
        if (i >= row.size() || !row[i]) col.append_null();
        else if (!append_mysql_value(col, *row[i], settings_.zero_dates, batch_->schema()[i].name)) misfit = i;
      }
      if (!misfit) {
        rows.column(n).append_bool(deleted);
        return;
      }
      rows.truncate(at);
      if (attempts > n) throw data_error("a change of " + request_.stream + " does not fit its columns");
      batch_->widen(*misfit, TypeId::Utf8);
      complete(std::nullopt);
    }
  }

  // A heartbeat: the server has nothing more for now.
  void idle() {
    host_.text(INGESTD_TEXT_CDC_RECEIVED, position_.text());
    if (in_transaction_) return;
    if (batch_->rows().rows() > 0) return complete(last_commit_);
    if (!follow_ && !(position_ < target_)) return end();
    if (emitted_ < last_commit_ && SteadyClock::now() - last_idle_checkpoint_ > kIdleCheckpointInterval) {
      last_idle_checkpoint_ = SteadyClock::now();
      complete(last_commit_);
    }
  }

  void complete(std::optional<Position> checkpoint) {
    Batch out;
    const Schema schema = batch_->schema();
    const int64_t rows = batch_->rows().rows();
    if (batch_->finish(out)) {
      if (in_transaction_ && rows > rows_at_begin_) transaction_emitted_ = true;
      rows_at_begin_ = 0;
      if (announce_) {
        out.new_schema = schema;
        announce_ = false;
      }
    } else if (checkpoint) {
      out.array = BatchBuilder(batch_->schema()).finish();
    } else {
      return;
    }
    if (truncate_next_) {
      json::Object m;
      m.set(INGESTD_METADATA_TRUNCATE, json::Value("true"));
      out.metadata_json = json::Value(std::move(m)).dump();
      truncate_next_ = false;
    }
    if (checkpoint) {
      host_.text(INGESTD_TEXT_CDC_RECEIVED, position_.text());
      out.checkpoint = checkpoint_of(*checkpoint);
      if (emitted_ < *checkpoint) emitted_ = *checkpoint;
    }
    ready_.push_back(std::move(out));
  }

  // ingestd run: caught up with the position of the moment it started.
  void end() {
    ended_ = true;
    if (emitted_ < last_commit_ || batch_->rows().rows() > 0) complete(last_commit_);
  }

  // Stopping: the complete transactions go out; a transaction part of which
  // already went out cannot be finished, and the stop is no clean end.
  void stop() {
    if (in_transaction_ && transaction_emitted_) throw cancelled_error();
    if (in_transaction_) batch_->rows().truncate(rows_at_begin_);
    in_transaction_ = false;
    ended_ = true;
    if (batch_->rows().rows() > 0 || emitted_ < last_commit_) complete(last_commit_);
  }

  const SourceSettings settings_;
  const StreamRequest request_;
  Host host_;
  const Instance& owner_;
  const bool follow_;
  const int64_t batch_rows_;
  Connection db_;  // the catalog and the server's positions
  std::unique_ptr<Rpl> rpl_;
  std::unique_ptr<SourceStream> copy_;  // the first copy, while it lasts
  TableInfo table_;
  std::vector<binlog::ColumnHint> hints_;
  std::vector<std::string> key_;
  std::vector<std::size_t> key_columns_;  // positions of key_ among the table's columns
  std::unique_ptr<EvolvingBatch> batch_;
  bool announce_ = false, truncate_next_ = false;
  std::deque<Batch> ready_;
  binlog::TableMap map_;
  std::vector<uint8_t> map_types_;
  uint64_t table_id_ = 0;
  bool table_id_known_ = false;
  Position consistent_, target_, position_, last_commit_, emitted_;
  bool in_transaction_ = false, transaction_emitted_ = false, ended_ = false;
  int64_t rows_at_begin_ = 0;
  SteadyClock::time_point last_idle_checkpoint_{};
  SteadyClock::time_point first_row_at_{};  // when the oldest row of the batch being built arrived
};

}  // namespace

std::unique_ptr<SourceStream> open_binlog_stream(const SourceSettings& settings, const StreamRequest& request,
                                                 const Instance& owner) {
  return std::make_unique<BinlogStream>(settings, request, owner);
}

}  // namespace ingestd::plugins::mysql
