#include <ingestd/kit/child/connector_stream.hpp>

#include <ingestd/kit/typing/cursor.hpp>

namespace ingestd::kit::child {

using namespace sdk;
namespace dom = simdjson::dom;
using Clock = std::chrono::steady_clock;

namespace {

kit::typing::ColumnSet declared_columns(const std::vector<Field>& fields) {
  std::vector<kit::typing::DeclaredColumn> columns;
  for (const auto& f : fields) columns.push_back({f.name, f.type});
  return kit::typing::ColumnSet(std::move(columns));
}

}  // namespace

ConnectorStream::ConnectorStream(const Connector& connector, const StreamRequest& r, const Instance& owner,
                                 const std::vector<Field>& declared)
    : connector_(connector),
      host_(r.host),
      owner_(owner),
      batch_rows_(r.batch_rows),
      columns_(declared_columns(declared)) {
  columns_.add_declared();
  columns_.report_widenings_to(host_, r.stream);
  if (r.extract_mode != INGESTD_EXTRACT_SNAPSHOT) cursor_field_ = r.cursor_field;
}

ConnectorStream::~ConnectorStream() = default;

void ConnectorStream::start(const std::vector<std::string>& args,
                            std::function<void(const Host&, std::string_view)> on_stderr) {
  process_ = std::make_unique<Process>(connector_.process_options(args, host_, std::move(on_stderr)));
  while (!builder_ && !ended_) read_message();
  schema_ = columns_.schema();
  if (!builder_) restart_builders();
}

std::vector<std::string> ConnectorStream::file_arguments(const std::string& catalog,
                                                         const std::optional<std::string>& state) {
  files_.push_back(std::make_unique<PrivateFile>("config", connector_.config.dump()));
  files_.push_back(std::make_unique<PrivateFile>("catalog", catalog));
  std::vector<std::string> args{"--config", files_[0]->path(), "--catalog", files_[1]->path()};
  if (state) {
    files_.push_back(std::make_unique<PrivateFile>("state", *state));
    args.insert(args.end(), {"--state", files_.back()->path()});
  }
  return args;
}

bool ConnectorStream::next(Batch& out) {
  while (ready_.empty()) {
    if (failure_) throw *failure_;
    if (ended_) return false;
    pump();
  }
  out = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

Error ConnectorStream::failure(int status) {
  return io_error(connector_.failure(*process_, status, "the connector failed"));
}

// Reads and handles one line; false when none came within the poll interval.
bool ConnectorStream::read_message() {
  if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
  std::string_view line;
  switch (process_->read_line(line, std::chrono::milliseconds(100))) {
    case Process::Read::Timeout: return false;
    case Process::Read::End: finish_process(); return true;
    case Process::Read::Line: break;
  }
  ++line_number_;
  if (line.find_first_not_of(" \t\r") != std::string_view::npos) handle(line);
  return true;
}

void ConnectorStream::pump() {
  const bool waited = !read_message();
  if (!builder_) return;
  // The clock is read when the connector is slow to write, or every so many
  // lines: a batch not yet full leaves once it is old.
  const bool check_age = waited || line_number_ % 1024 == 0;
  const bool old = check_age && first_row_at_ &&
                   Clock::now() - *first_row_at_ > std::chrono::milliseconds(connector_.max_batch_age_ms);
  if (builder_->rows() + pending_->rows() >= batch_rows_ || old) {
    // The rows a state covers leave with it; those after it without one.
    emit_ready();
    emit_pending();
  }
}

// The builders, made on the first record (so that a schema announced before
// it is the stream's from the start) or anew for new columns.
BatchBuilder& ConnectorStream::pending_rows() {
  if (!builder_) {
    schema_ = columns_.schema();
    restart_builders();
  }
  return *pending_;
}

void ConnectorStream::record(const dom::object& record) {
  if (!first_row_at_) first_row_at_ = Clock::now();  // once per batch
  pending_rows();
  if (!cursor_field_.empty()) {
    std::string cursor = kit::typing::cursor_of(record, cursor_field_);
    if (!cursor.empty() && at_cursor_.seen_before(record, cursor)) {
      host_.count("records_seen_before", 1);
      return;
    }
  }
  for (;;) {
    switch (appender_.append(record, columns_, *pending_)) {
      case kit::typing::JsonRowAppender::Result::Appended: return;
      case kit::typing::JsonRowAppender::Result::Rejected:
        throw data_error(connector_.redact("connector output line " + std::to_string(line_number_) + ": " +
                                           appender_.reason()));
      case kit::typing::JsonRowAppender::Result::ColumnsChanged:
        // A key no schema named: rows so far go out, then the wider schema.
        emit_ready();
        emit_pending();
        restart_builders();
        break;
    }
  }
}

void ConnectorStream::record_of(std::string_view stream, std::string_view ours, const dom::object& record) {
  if (stream == ours) this->record(record);
  else host_.count("records_other_streams", 1);
}

void ConnectorStream::state(std::string checkpoint) {
  pending_rows();
  take_pending();
  state_ = checkpoint_of(std::move(checkpoint), cursor_field_.empty() ? json::Value() : at_cursor_.to_json());
  if (builder_->rows() >= batch_rows_) emit_ready();
}

void ConnectorStream::declare(const std::vector<kit::typing::DeclaredColumn>& declared) {
  kit::typing::ColumnSet next = columns_.redeclared(declared);
  if (next.schema() == columns_.schema()) return;
  if (!builder_) {  // before the first record: the schema the stream opens with
    columns_ = std::move(next);
    return;
  }
  // Rows so far go out under the old schema; the next batch says the new one.
  take_pending();
  emit_ready();
  columns_ = std::move(next);
  restart_builders();
}

// The rows after the last state are covered by the newest one: they join
// the rows before it (in bulk; an empty builder is swapped instead).
void ConnectorStream::take_pending() {
  if (pending_->rows() == 0) return;
  if (builder_->rows() == 0) {
    std::swap(builder_, pending_);
    return;
  }
  builder_->append_rows(*pending_);
  pending_ = std::make_unique<BatchBuilder>(schema_);
}

void ConnectorStream::restart_builders() {
  Schema now = columns_.schema();
  if (now != schema_) {
    schema_ = std::move(now);
    schema_changed_ = true;
  }
  builder_ = std::make_unique<BatchBuilder>(schema_);
  pending_ = std::make_unique<BatchBuilder>(schema_);
}

// The rows up to the last state, with that state.
void ConnectorStream::emit_ready() {
  if (builder_->rows() > 0 || state_) emit(*builder_, std::move(state_));
  state_.reset();
}

// The rows after the last state, without one: a later state covers them.
void ConnectorStream::emit_pending() { emit(*pending_, std::nullopt); }

void ConnectorStream::emit(BatchBuilder& rows, std::optional<std::string> checkpoint) {
  if (rows.rows() == 0 && !checkpoint && !schema_changed_) return;
  Batch b;
  b.array = rows.finish();
  b.checkpoint = std::move(checkpoint);
  if (schema_changed_) b.new_schema = schema_;
  schema_changed_ = false;
  ready_.push_back(std::move(b));
  first_row_at_.reset();
}

void ConnectorStream::finish_process() {
  ended_ = true;
  const int status = process_->wait();
  pending_rows();
  if (status != 0) {
    // What the last state covers still goes out with it; the records after
    // it do not. Then the stream fails and the host reruns it from there.
    emit_ready();
    pending_ = std::make_unique<BatchBuilder>(schema_);
    failure_.emplace(failure(status));
    return;
  }
  take_pending();
  emit_ready();
}

void ConnectorStream::malformed(std::string_view line, const std::string& why) const {
  const std::string text(line.substr(0, 200));
  throw data_error(connector_.redact("connector output line " + std::to_string(line_number_) + ": " + why + ": " +
                                     text + (line.size() > 200 ? "…" : "") + "\n" + process_->stderr_tail()));
}

}  // namespace ingestd::kit::child
