#include "logical_stream.hpp"

#include "copy_text.hpp"
#include "pgoutput.hpp"
#include "table_info.hpp"

#include <ingestd/sdk/evolving_batch.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <map>

namespace ingestd::plugins::postgres {

using namespace ingestd::sdk;
using pgoutput::Lsn;

namespace {

using SteadyClock = std::chrono::steady_clock;

// How long to wait for more changes before a batch of complete transactions goes out.
constexpr int64_t kFlushWaitMs = 100;
// How long rows may wait for more under a steady stream of changes: at the
// next commit past this age they go out.
constexpr auto kMaxBatchAge = std::chrono::milliseconds(200);
// How often the server hears where the slot may go (its wal_sender_timeout defaults to 60 s).
constexpr auto kStatusInterval = std::chrono::seconds(10);
// How often an idle stream saves the server's position, so the slot holds no WAL back.
constexpr auto kIdleCheckpointInterval = std::chrono::seconds(10);

int64_t now_us_since_2000() {
  const auto unix_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return unix_us - 946684800LL * 1000000LL;
}

// The position, and the columns the first copy widened (kept by later runs).
std::string checkpoint_of(Lsn lsn, const std::map<std::string, DataType>& widened) {
  json::Object o;
  o.set("lsn", json::Value(pgoutput::lsn_text(lsn)));
  if (!widened.empty()) {
    json::Object w;
    for (const auto& [name, type] : widened) w.set(name, json::Value(type.name()));
    o.set("widened", json::Value(std::move(w)));
  }
  return json::Value(std::move(o)).dump();
}

std::map<std::string, DataType> widened_of_checkpoint(std::string_view checkpoint) {
  std::map<std::string, DataType> out;
  try {
    const json::Value v = json::Value::parse(checkpoint);
    if (v["widened"].is_object())
      for (const auto& [name, type] : v["widened"].as_object()) out[name] = DataType::from_name(type.as_string());
  } catch (const std::exception&) {
  }
  return out;
}

std::optional<Lsn> lsn_of_checkpoint(std::string_view checkpoint) {
  try {
    const json::Value v = json::Value::parse(checkpoint);
    if (v["lsn"].is_string()) return pgoutput::parse_lsn(v["lsn"].as_string());
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

class LogicalStream : public SourceStream {
 public:
  LogicalStream(const SourceSettings& settings, const StreamRequest& r, const Instance& owner)
      : settings_(settings), request_(r), host_(r.host), owner_(owner), follow_(r.settings.follow),
        batch_rows_(r.batch_rows), db_(with_cancel(settings.connect, [this] { return stopping(); })) {
    const auto [schema, table] = split_stream(r.stream);
    if (r.extract_mode != INGESTD_EXTRACT_INCREMENTAL_UPDATES)
      throw config_error("capture = \"logical\" reads every insert, update and delete: set extract = "
                         "\"incremental-updates\" on the flow");
    if (!r.settings.where.empty())
      throw config_error("capture = \"logical\" cannot apply where: the change stream carries every row of " + r.stream);
    table_ = describe(db_, schema, table);
    if (table_.columns.empty()) throw config_error("no table " + r.stream);
    if (table_.kind != 'r' && table_.kind != 'p')
      throw config_error(r.stream + " is not a table: change data capture reads tables");
    key_ = !r.primary_key.empty() ? r.primary_key : table_.primary_key;
    if (key_.empty())
      throw config_error("change data capture of " + r.stream + " needs a primary key: the table has none; add one, "
                         "or set primary_key on the flow and REPLICA IDENTITY USING INDEX on the table");
    const std::string flow = r.settings.flow.empty() ? "flow" : r.settings.flow;
    // Slots are the server's, not a database's: the name says which database.
    const std::string database = db_.exec("SELECT current_database()").text(0, 0);
    slot_ = settings.slot.empty() ? replication_name(flow, database, schema, table) : settings.slot;
    publication_ =
        settings.publication.empty() ? replication_name(flow, database, schema, table) : settings.publication;
    ensure_publication();
    if (r.state) widened_ = widened_of_checkpoint(*r.state);
    batch_ = std::make_unique<EvolvingBatch>(stream_schema());
    if (!follow_) target_ = pgoutput::parse_lsn(db_.exec("SELECT pg_current_wal_lsn()").text(0, 0)).value_or(0);

    // Not cancelled from outside: the loop notices a stop between messages
    // and ends the stream cleanly at a transaction's end.
    ConnectOptions replication = settings.connect;
    replication.replication = true;
    repl_ = std::make_unique<Connection>(replication);
    Result slot = db_.exec_params("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", {slot_});
    const std::optional<Lsn> resume = r.state ? lsn_of_checkpoint(*r.state) : std::nullopt;
    if (r.state && !resume) throw data_error("the saved state of " + r.stream + " is not a replication position");
    if (resume) {
      if (slot.rows() == 0)
        throw config_error("replication slot '" + slot_ + "' of " + r.stream + " is gone (dropped, or never made on "
                           "this server); `ingestd run --resnapshot` copies the table again and makes a new slot");
      if (!slot.is_null(0, 0) && slot.text(0, 0) == "lost")
        throw config_error("replication slot '" + slot_ + "' of " + r.stream + " was invalidated: the server removed "
                           "WAL it still needed (max_slot_wal_keep_size); `ingestd run --resnapshot` copies the "
                           "table again and makes a new slot");
      start_streaming(*resume);
      return;
    }
    // No saved position: copy the table, then stream from where the copy stands.
    if (slot.rows() > 0) {
      host_.info("replication slot '" + slot_ + "' has no saved position (a copy that did not finish, or a state "
                 "reset): it is made again");
      db_.exec_params("SELECT pg_drop_replication_slot($1)", {slot_});
    }
    if (!settings.create_slot)
      throw config_error("replication slot '" + slot_ + "' does not exist and create_slot = false");
    Result created = repl_->exec("CREATE_REPLICATION_SLOT " + quote_ident(slot_) + " LOGICAL pgoutput (SNAPSHOT 'export')");
    consistent_ = pgoutput::parse_lsn(created.text(0, 1)).value_or(0);
    host_.info("replication slot '" + slot_ + "' made at " + created.text(0, 1) + "; copying " + r.stream + " first");
    StreamRequest copy = r;
    copy.extract_mode = INGESTD_EXTRACT_SNAPSHOT;
    copy.state.reset();
    copy_ = open_change_snapshot(settings, copy, owner, created.text(0, 2));
  }

  ~LogicalStream() override {
    // The last checkpoints were saved after the stream handed them out: the
    // slot hears of them before the connection goes.
    try {
      if (streaming_ && confirmed_.load() > reported_) send_status();
    } catch (const std::exception&) {
      // the slot keeps its older position: the next run starts there
    }
  }

  Schema schema() override { return batch_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      // Batches completed earlier go out first, in order.
      if (!ready_.empty()) {
        out = std::move(ready_.front());
        ready_.pop_front();
        return true;
      }
      if (copy_) {
        if (stopping()) throw cancelled_error();  // a copy half done is no position to resume from
        if (copy_->next(out)) {
          if (out.new_schema) keep_widened(*out.new_schema);
          return true;
        }
        copy_.reset();
        // The copy is complete up to the slot's consistent point: from there on the stream.
        start_streaming(consistent_);
        complete(consistent_);
        continue;
      }
      if (ended_) return false;
      if (stopping()) {
        stop();
        continue;
      }
      send_status_when_due();
      const bool pending = batch_->rows().rows() > 0;
      std::string_view data;
      const Connection::Message got = repl_->copy_message(data, pending ? kFlushWaitMs : 250);
      if (got == Connection::Message::End)
        throw io_error("PostgreSQL ended the replication stream of " + request_.stream, true);
      if (got == Connection::Message::None) {
        idle();
        continue;
      }
      const pgoutput::Envelope e = pgoutput::parse_envelope(data);
      received_ = std::max(received_, e.wal_end);
      if (e.kind == pgoutput::Envelope::Kind::Keepalive) {
        // Nothing in flight: the server has sent everything before this position.
        if (!in_transaction_) idle_position_ = std::max(idle_position_, e.wal_end);
        if (e.reply_requested) send_status();
        continue;
      }
      handle(pgoutput::parse_message(e.payload));
    }
  }

  void checkpoint_saved(std::string_view checkpoint) override {
    if (const auto lsn = lsn_of_checkpoint(checkpoint)) {
      Lsn seen = confirmed_.load();
      while (*lsn > seen && !confirmed_.compare_exchange_weak(seen, *lsn)) {
      }
    }
  }

 private:
  bool stopping() const { return owner_.cancelled() || host_.cancelled(); }

  void ensure_publication() {
    Result has = db_.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", {publication_});
    const std::string rel = quote_table(table_.schema, table_.table);
    if (has.rows() == 0) {
      if (!settings_.publication.empty())
        throw config_error("publication '" + publication_ + "' does not exist on the source");
      db_.exec("CREATE PUBLICATION " + quote_ident(publication_) + " FOR TABLE " + rel);
      return;
    }
    Result in = db_.exec_params("SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND "
                                "tablename = $3",
                                {publication_, table_.schema, table_.table});
    if (in.rows() == 0) {
      if (!settings_.publication.empty())
        throw config_error("publication '" + publication_ + "' does not publish " + table_.schema + "." + table_.table);
      db_.exec("ALTER PUBLICATION " + quote_ident(publication_) + " ADD TABLE " + rel);
    }
  }

  void start_streaming(Lsn from) {
    repl_->copy_both_start("START_REPLICATION SLOT " + quote_ident(slot_) + " LOGICAL " + pgoutput::lsn_text(from) +
                           " (proto_version '1', publication_names " + repl_->literal(publication_) + ")");
    streaming_ = true;
    streamed_from_ = from;
    emitted_ = from;
    idle_position_ = std::max(idle_position_, from);
    last_commit_end_ = std::max(last_commit_end_, from);
    host_.debug("streaming changes of " + request_.stream + " from " + pgoutput::lsn_text(from));
  }

  // No message came for a while.
  void idle() {
    if (in_transaction_) return;
    if (batch_->rows().rows() > 0) return complete(last_commit_end_);
    if (!follow_ && caught_up()) return end();
    if (!follow_ || SteadyClock::now() - last_position_ask_ > kIdleCheckpointInterval) ask_position();
    // Saved, the server's position lets the slot release the WAL behind it.
    if (idle_position_ > emitted_ && (!follow_ || SteadyClock::now() - last_idle_checkpoint_ > kIdleCheckpointInterval)) {
      last_idle_checkpoint_ = SteadyClock::now();
      complete(idle_position_);
    }
  }

  void handle(const pgoutput::Message& m) {
    using Type = pgoutput::Message::Type;
    switch (m.type) {
      case Type::Begin:
        in_transaction_ = true;
        transaction_emitted_ = false;
        rows_at_commit_ = batch_->rows().rows();
        return;
      case Type::Commit:
        in_transaction_ = false;
        last_commit_end_ = std::max(last_commit_end_, m.end_lsn);
        idle_position_ = std::max(idle_position_, m.end_lsn);
        rows_at_commit_ = batch_->rows().rows();
        if (batch_->rows().rows() >= batch_rows_ ||
            (batch_->rows().rows() > 0 && SteadyClock::now() - first_row_at_ >= kMaxBatchAge))
          complete(last_commit_end_);
        return;
      case Type::Relation: return relation(m.relation);
      case Type::Insert:
      case Type::Update:
      case Type::Delete:
        if (m.relation_id != relation_id_) return;  // another table of a shared publication
        change(m);
        // A large transaction goes out in several batches; only its last carries a checkpoint.
        if (batch_->rows().rows() >= batch_rows_) complete(std::nullopt);
        return;
      case Type::Truncate:
        for (uint32_t id : m.truncated)
          if (id == relation_id_) {
            // Rows before the truncate go first; the next batch starts with it.
            if (batch_->rows().rows() > 0) complete(std::nullopt);
            truncate_next_ = true;
          }
        return;
      case Type::Other: return;
    }
  }

  // The table's shape as the change stream has it; a change of columns
  // (added, retyped) is read from the catalog and announced to destinations.
  void relation(const pgoutput::Relation& rel) {
    if (rel.schema != table_.schema || rel.table != table_.table) return;
    relation_id_ = rel.id;
    std::vector<std::string> names;
    for (const auto& c : rel.columns) names.push_back(c.name);
    const bool first = relation_columns_.empty();
    const bool changed = !first && (names != relation_names_ || types_of(rel) != relation_types_);
    relation_columns_.clear();
    for (std::size_t i = 0; i < rel.columns.size(); ++i) relation_columns_[rel.columns[i].name] = i;
    relation_names_ = names;
    relation_types_ = types_of(rel);
    std::vector<std::string> known;
    for (const SourceColumn& c : table_.columns) known.push_back(c.name);
    if (!changed && (!first || names == known)) return;
    // Rows built so far go out under the old columns; then the catalog's.
    if (batch_->rows().rows() > 0) complete(std::nullopt);
    table_ = describe(db_, table_.schema, table_.table);
    host_.info(request_.stream + ": its columns changed at the source");
    batch_ = std::make_unique<EvolvingBatch>(stream_schema());
    announce_ = true;
  }

  // The first copy widened a column (a NaN in a numeric one is text): the
  // changes that follow keep the wider type, or their batches would not be
  // what the destinations were told.
  void keep_widened(const Schema& copied) {
    for (const Field& f : copied.fields)
      for (const SourceColumn& c : table_.columns)
        if (c.name == f.name && c.type != f.type) widened_[c.name] = f.type;
    batch_ = std::make_unique<EvolvingBatch>(stream_schema());
  }

  Schema stream_schema() const {
    Schema columns;
    for (const SourceColumn& c : table_.columns) {
      const auto w = widened_.find(c.name);
      columns.fields.push_back({c.name, w != widened_.end() ? w->second : c.type, true});
    }
    columns.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
    return columns;
  }

  static std::vector<std::pair<uint32_t, int32_t>> types_of(const pgoutput::Relation& rel) {
    std::vector<std::pair<uint32_t, int32_t>> out;
    for (const auto& c : rel.columns) out.emplace_back(c.type_oid, c.type_modifier);
    return out;
  }

  // Appends the row a change leaves behind (a deleted row: its key, marked).
  void change(const pgoutput::Message& m) {
    using Type = pgoutput::Message::Type;
    const bool deleted = m.type == Type::Delete;
    const std::vector<pgoutput::Value>& row = deleted ? m.old_row : m.row;
    // An update that changed the key deletes the row under its old key.
    if (m.type == Type::Update && m.has_old_row && key_of(m.old_row) != key_of(m.row)) append(m.old_row, true);
    append(row, deleted);
  }

  std::vector<std::string> key_of(const std::vector<pgoutput::Value>& row) const {
    std::vector<std::string> out;
    for (const auto& k : key_) {
      auto it = relation_columns_.find(k);
      if (it == relation_columns_.end() || it->second >= row.size()) return {};
      out.emplace_back(row[it->second].text);
    }
    return out;
  }

  void append(const std::vector<pgoutput::Value>& row, bool deleted) {
    const Schema& schema = batch_->schema();
    const std::size_t n = schema.size() - 1;  // the last is _ingestd_deleted
    std::vector<std::optional<std::string>> values(n);
    std::vector<std::size_t> unchanged;
    for (std::size_t i = 0; i < n; ++i) {
      auto it = relation_columns_.find(schema[i].name);
      if (it == relation_columns_.end() || it->second >= row.size()) continue;
      const pgoutput::Value& v = row[it->second];
      if (v.kind == pgoutput::Value::Kind::Text) values[i] = std::string(v.text);
      else if (v.kind == pgoutput::Value::Kind::Unchanged && !deleted) unchanged.push_back(i);
    }
    if (!unchanged.empty()) fetch_unchanged(row, unchanged, values);
    if (batch_->rows().rows() == 0) first_row_at_ = SteadyClock::now();
    for (std::size_t attempts = 0;; ++attempts) {
      BatchBuilder& rows = batch_->rows();
      const int64_t at = rows.rows();
      std::optional<std::size_t> misfit;
      for (std::size_t i = 0; i < n && !misfit; ++i) {
        ColumnBuilder& col = rows.column(i);
        if (!values[i]) col.append_null();
        else if (!append_text_value(col, *values[i])) misfit = i;
      }
      if (!misfit) {
        rows.column(n).append_bool(deleted);
        return;
      }
      // NaN numerics, infinite dates...: that column is PostgreSQL's own text
      // from here on; the rows before go out under the old schema.
      rows.truncate(at);
      if (attempts > n) throw data_error("a change of " + request_.stream + " does not fit its columns");
      batch_->widen(*misfit, TypeId::Utf8);
      complete(std::nullopt);
    }
  }

  // A TOASTed value an update left unchanged is not in the change: read the
  // row's current value instead, never NULL (a later change of it comes
  // through the stream, so the destination ends up as the source).
  void fetch_unchanged(const std::vector<pgoutput::Value>& row, const std::vector<std::size_t>& columns,
                       std::vector<std::optional<std::string>>& values) {
    const Schema& schema = batch_->schema();
    std::string select, where;
    std::vector<std::optional<std::string>> params;
    for (std::size_t c : columns) select += (select.empty() ? "" : ", ") + quote_ident(schema[c].name);
    for (const auto& k : key_) {
      auto it = relation_columns_.find(k);
      if (it == relation_columns_.end() || it->second >= row.size() ||
          row[it->second].kind != pgoutput::Value::Kind::Text)
        return;  // no key to find the row by: left NULL
      params.emplace_back(std::string(row[it->second].text));
      std::string pg_type = "text";
      for (const SourceColumn& sc : table_.columns)
        if (sc.name == k) pg_type = sc.pg_type;
      where += (where.empty() ? "" : " AND ") + quote_ident(k) + " = $" + std::to_string(params.size()) + "::" + pg_type;
    }
    Result r = db_.exec_params("SELECT " + select + " FROM " + quote_table(table_.schema, table_.table) + " WHERE " +
                                   where,
                               params);
    if (r.rows() == 0) return;  // deleted since: its delete follows in the stream
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (!r.is_null(0, static_cast<int>(i))) values[columns[i]] = r.text(0, static_cast<int>(i));
  }

  // Moves the rows built so far into a batch ready to go out, with a
  // checkpoint when given (a checkpoint alone when there are no rows).
  void complete(std::optional<Lsn> checkpoint) {
    Batch out;
    const Schema schema = batch_->schema();
    const int64_t rows = batch_->rows().rows();
    if (batch_->finish(out)) {
      if (in_transaction_ && rows > rows_at_commit_) transaction_emitted_ = true;
      rows_at_commit_ = 0;
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
      out.checkpoint = checkpoint_of(*checkpoint, widened_);
      emitted_ = std::max(emitted_, *checkpoint);
    }
    ready_.push_back(std::move(out));
  }

  bool caught_up() const { return std::max(idle_position_, last_commit_end_) >= target_; }

  // ingestd run: caught up with the position of the moment it started.
  void end() {
    ended_ = true;
    const Lsn at = std::max(idle_position_, last_commit_end_);
    if (at > emitted_ || batch_->rows().rows() > 0) complete(at);
  }

  // Stopping: the complete transactions go out; a transaction part of which
  // already went out cannot be finished, and the stop is no clean end.
  void stop() {
    if (in_transaction_ && transaction_emitted_) throw cancelled_error();
    if (in_transaction_) batch_->rows().truncate(rows_at_commit_);
    in_transaction_ = false;
    ended_ = true;
    if (batch_->rows().rows() > 0) complete(last_commit_end_);
  }

  // Asks the server where it stands (it answers with a keepalive).
  void ask_position() {
    last_position_ask_ = SteadyClock::now();
    send_status(true);
  }

  void send_status(bool reply_requested = false) {
    const Lsn flushed = confirmed_.load();
    repl_->copy_send(pgoutput::status_update(std::max(received_, flushed), flushed, now_us_since_2000(), reply_requested));
    reported_ = flushed;
    last_status_ = SteadyClock::now();
    // How much WAL the server holds for this stream: from the saved position to the newest it told of.
    const Lsn saved = std::max(flushed, streamed_from_);
    host_.gauge(INGESTD_GAUGE_CDC_LAG_BYTES, received_ > saved ? static_cast<double>(received_ - saved) : 0.0);
    host_.text(INGESTD_TEXT_CDC_RECEIVED, pgoutput::lsn_text(received_));
  }

  void send_status_when_due() {
    if (confirmed_.load() > reported_ || SteadyClock::now() - last_status_ > kStatusInterval) send_status();
  }

  const SourceSettings settings_;
  const StreamRequest request_;
  Host host_;
  const Instance& owner_;
  const bool follow_;
  const int64_t batch_rows_;
  Connection db_;                    // the catalog, the publication, unchanged TOASTed values
  std::unique_ptr<Connection> repl_;  // the replication stream
  std::unique_ptr<SourceStream> copy_;  // the first copy, while it lasts
  TableInfo table_;
  std::vector<std::string> key_;
  std::string slot_, publication_;
  std::unique_ptr<EvolvingBatch> batch_;
  std::map<std::string, DataType> widened_;  // by the first copy, kept by the changes after it
  bool announce_ = false;
  std::deque<Batch> ready_;  // completed batches, in order
  bool truncate_next_ = false;
  uint32_t relation_id_ = 0;
  std::map<std::string, std::size_t> relation_columns_;  // name -> position in the change stream's rows
  std::vector<std::string> relation_names_;
  std::vector<std::pair<uint32_t, int32_t>> relation_types_;
  Lsn consistent_ = 0;  // where the first copy stands
  Lsn streamed_from_ = 0;  // where streaming started: saved by the last run, or the copy's end
  Lsn target_ = 0;      // ingestd run: the server's position at the start
  Lsn received_ = 0, idle_position_ = 0, last_commit_end_ = 0, emitted_ = 0, reported_ = 0;
  std::atomic<Lsn> confirmed_{0};  // the newest checkpoint every destination committed and the host saved
  bool streaming_ = false, in_transaction_ = false, transaction_emitted_ = false, ended_ = false;
  int64_t rows_at_commit_ = 0;
  SteadyClock::time_point last_status_ = SteadyClock::now(), last_position_ask_{}, last_idle_checkpoint_{};
  SteadyClock::time_point first_row_at_{};  // when the oldest row of the batch being built arrived
};

}  // namespace

std::string replication_name(const std::string& flow, const std::string& database, const std::string& schema,
                             const std::string& table) {
  std::string name = "ingestd_" + flow + "_" + database + "_" + schema + "_" + table;
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  if (name.size() <= 63) return name;
  // Too long: a prefix and a hash of the whole, still one per flow and table.
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "_%016llx", static_cast<unsigned long long>(h));
  return name.substr(0, 63 - 17) + suffix;
}

void release_replication(const SourceSettings& settings, const std::string& flow, const std::string& stream,
                         const Host& host) {
  const auto [schema, table] = split_stream(stream);
  Connection db(settings.connect);
  const std::string database = db.exec("SELECT current_database()").text(0, 0);
  const std::string name = replication_name(flow.empty() ? "flow" : flow, database, schema, table);
  const std::string slot = settings.slot.empty() ? name : settings.slot;
  Result held = db.exec_params("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", {slot});
  if (held.rows() == 0) {
    host.info("no replication slot '" + slot + "' for " + stream);
  } else {
    if (!held.is_null(0, 0))
      throw config_error("replication slot '" + slot + "' of " + stream + " is in use (server process " +
                         held.text(0, 0) + "): stop what reads it first");
    db.exec_params("SELECT pg_drop_replication_slot($1)", {slot});
    host.info("dropped replication slot '" + slot + "' of " + stream);
  }
  if (settings.publication.empty() &&
      db.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", {name}).rows() > 0) {
    db.exec("DROP PUBLICATION " + quote_ident(name));
    host.info("dropped publication '" + name + "' of " + stream);
  }
}

std::unique_ptr<SourceStream> open_logical_stream(const SourceSettings& settings, const StreamRequest& request,
                                                  const Instance& owner) {
  return std::make_unique<LogicalStream>(settings, request, owner);
}

}  // namespace ingestd::plugins::postgres
