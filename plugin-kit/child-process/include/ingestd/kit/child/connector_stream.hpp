// The source stream of a connector process that prints one JSON message per
// line (Singer, Airbyte): each record is typed into columns as its line is
// parsed (one parse per line); rows wait for the next state message so that
// each batch ends where a state does and carries it; batches also leave when
// full or old (the rows after the last state without one). Subclasses read
// their protocol's messages.
#pragma once

#include <ingestd/kit/child/connector.hpp>
#include <ingestd/kit/child/private_file.hpp>
#include <ingestd/sdk/plugin.hpp>
#include <ingestd/kit/typing/json_rows.hpp>
#include <ingestd/kit/typing/records_at_cursor.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::kit::child {

class ConnectorStream : public sdk::SourceStream {
 public:
  ConnectorStream(const Connector& connector, const sdk::StreamRequest& r, const sdk::Instance& owner,
                  const std::vector<sdk::Field>& declared);
  ~ConnectorStream() override;

  sdk::Schema schema() override { return schema_; }
  bool next(sdk::Batch& out) override;

 protected:
  // Starts the connector and reads until its first record (or its end), so
  // that a schema it announces first is the stream's schema from the start.
  void start(const std::vector<std::string>& args,
             std::function<void(const sdk::Host&, std::string_view)> on_stderr = {});
  // Handles one message line (not blank); line_number() says where it is.
  // Process::kLinePadding bytes after it are readable (it may be parsed in place).
  virtual void handle(std::string_view line) = 0;
  // The connector exited with a non-zero status: the error to fail with
  // (transient by default: the host reruns the stream from its last state).
  virtual sdk::Error failure(int status);

  // For handle(): a record (a JSON object, read at once), a state (the
  // checkpoint), a schema announced by the connector.
  void record(const simdjson::dom::object& record);
  // A record the connector says is of `stream`: taken when that is `ours`,
  // else counted (records_other_streams) and dropped.
  void record_of(std::string_view stream, std::string_view ours, const simdjson::dom::object& record);
  void state(std::string checkpoint);
  void declare(const std::vector<kit::typing::DeclaredColumn>& declared);
  // Incremental reads with a cursor: the records delivered at the newest
  // cursor, as the last checkpoint saved them (checkpoint_of's at_cursor).
  // Connectors resume from their bookmark inclusively; such records arriving
  // again unchanged are skipped.
  void restore_at_cursor(const ingestd::json::Value& saved) { at_cursor_.restore(saved); }
  // The checkpoint for a state the connector sent, given what at_cursor
  // holds then (null when not tracked): the connector's state by default.
  virtual std::string checkpoint_of(std::string connector_state, const ingestd::json::Value& at_cursor) {
    (void)at_cursor;
    return connector_state;
  }
  // Fails the stream at the current line with the connector's stderr.
  [[noreturn]] void malformed(std::string_view line, const std::string& why) const;
  int64_t line_number() const { return line_number_; }
  const Connector& connector() const { return connector_; }
  const sdk::Host& host() const { return host_; }
  const Process* process() const { return process_.get(); }
  // "--config F --catalog F [--state F]", the files private and alive as
  // long as the stream; the state only when given.
  std::vector<std::string> file_arguments(const std::string& catalog, const std::optional<std::string>& state);

 private:
  bool read_message();
  void pump();
  void take_pending();
  void restart_builders();
  void emit_ready();
  void emit_pending();
  void emit(sdk::BatchBuilder& rows, std::optional<std::string> checkpoint);
  void finish_process();
  sdk::BatchBuilder& pending_rows();

  const Connector& connector_;
  sdk::Host host_;
  const sdk::Instance& owner_;
  int64_t batch_rows_;
  std::vector<std::unique_ptr<PrivateFile>> files_;
  std::unique_ptr<Process> process_;
  kit::typing::ColumnSet columns_;
  sdk::Schema schema_;
  bool schema_changed_ = false;
  std::unique_ptr<sdk::BatchBuilder> builder_;  // rows up to the last state
  std::unique_ptr<sdk::BatchBuilder> pending_;  // rows after it
  std::optional<std::string> state_;
  std::optional<std::chrono::steady_clock::time_point> first_row_at_;
  std::deque<sdk::Batch> ready_;
  kit::typing::JsonRowAppender appender_;
  std::string cursor_field_;  // set when records at the cursor are tracked
  kit::typing::RecordsAtCursor at_cursor_;
  int64_t line_number_ = 0;

  bool ended_ = false;
  std::optional<sdk::Error> failure_;  // thrown once the batches before it are delivered
};

}  // namespace ingestd::kit::child
