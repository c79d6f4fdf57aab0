// A thin RAII layer over libpq for the postgres plugin: connections with
// retries, results, COPY, quoting, and errors as SDK errors with the right
// retry class. Every wait on the server is bounded (connect_timeout,
// read_timeout) and notices cancellation: a server that stops answering
// fails the call, naming the server, the phase and the timeout, rather than
// hanging it. Nothing here ever prints the connection string.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::kit::pg {

// "name" with embedded quotes doubled; schema.table as "schema"."table".
std::string quote_ident(std::string_view identifier);
std::string quote_table(const std::string& schema, const std::string& table);

struct ConnectOptions {
  std::string dsn;
  int attempts = 5;                  // connection attempts before giving up
  int64_t first_backoff_ms = 500;    // doubling between attempts, with jitter
  int64_t connect_timeout_ms = 10000;  // per attempt
  // The longest the server may stay silent while it owes an answer (a
  // result, COPY data, room to send): past it the call fails as transient.
  int64_t read_timeout_ms = 600000;
  int64_t statement_timeout_ms = 0;  // the server's own limit per statement; 0: none
  std::function<bool()> cancelled;  // polled while waiting; may be empty
  // A logical replication connection (replication=database): SQL and the
  // replication commands (CREATE_REPLICATION_SLOT, START_REPLICATION).
  bool replication = false;
};

// `options` whose waits end when `cancelled` says so.
inline ConnectOptions with_cancel(ConnectOptions options, std::function<bool()> cancelled) {
  options.cancelled = std::move(cancelled);
  return options;
}

class Result {
 public:
  explicit Result(PGresult* r = nullptr) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept {
    if (this != &o) {
      PQclear(r_);
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  int64_t integer(int row, int col) const { return std::atoll(PQgetvalue(r_, row, col)); }

 private:
  PGresult* r_;
};

class Connection {
 public:
  // Connects, retrying with backoff (the server may be restarting); sets the
  // session so that text forms are predictable (UTC, ISO dates, round-trip
  // floats, hex bytea). Throws io_error (transient) or config_error.
  explicit Connection(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() const { return conn_; }
  // Runs a command or query; throws on failure.
  Result exec(const std::string& sql);
  // Parameters $1, $2...; nullopt is NULL.
  Result exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params);
  std::string literal(std::string_view value) const;  // 'value', safely quoted

  // COPY ... FROM STDIN: start, send chunks, finish (throws on failure).
  // A COPY stays open until copy_in_end or the next statement, so that the
  // rows of many batches go in one COPY (the server never waits for a
  // round trip between batches): copy_in_start with the statement already
  // open goes on with it. Any other statement ends it first (a server error
  // in its rows is thrown then); a ROLLBACK abandons it.
  // Returns true when a new COPY started (its data must begin with any
  // header its format has); `trailer` is sent when the COPY ends.
  bool copy_in_start(const std::string& sql, std::string_view trailer = {});
  void copy_in_send(std::string_view data);
  void copy_in_end();
  // COPY ... TO STDOUT: start, then read rows until false.
  void copy_out_start(const std::string& sql);
  // The next row without its line end; valid until the next call.
  bool copy_out_row(std::string_view& row);

  // Streaming replication: START_REPLICATION ... (the connection is then in
  // COPY BOTH mode), the server's messages, and the client's replies.
  void copy_both_start(const std::string& command);
  enum class Message { Data, None, End };
  // The next message, waiting at most `wait_ms` for one (0: only what has
  // arrived); Data leaves it in `data` until the next call.
  Message copy_message(std::string_view& data, int64_t wait_ms);
  void copy_send(std::string_view data);

  // Throws the SDK error for a failed result or a lost connection.
  [[noreturn]] void fail(PGresult* result, const std::string& what) const;

  // "host:port", for messages.
  std::string server() const;

 private:
  // One attempt: connects within connect_timeout or throws.
  void connect_once();
  // Ends this process's earlier sessions on the same server whose COMMIT
  // went unanswered, and waits until they are gone: until then the server
  // may still apply a commit that was taken for lost, and what this session
  // reads (a stored checkpoint) could be older than the data.
  void settle_commits_in_doubt();
  // Waits until the socket is readable (or writable), at most read_timeout
  // in all; throws io_error (transient) naming `phase` when it passes, or
  // cancelled_error when cancelled.
  void wait(bool for_write, const char* phase);
  // Sends what libpq holds (non-blocking mode), waiting for room.
  void flush(const char* phase);
  // The result of the query sent last: the last of its results, or the
  // first that is an error; a COPY start returns at once.
  Result result(const char* phase);

  // Ends the COPY left open by copy_in_start, if any; `abandon` cancels it
  // and ignores the outcome.
  void end_open_copy(bool abandon);

  ConnectOptions options_;
  PGconn* conn_ = nullptr;
  std::string open_copy_;  // the COPY FROM STDIN statement still open
  std::string copy_trailer_;
  char* copy_buffer_ = nullptr;
};

}  // namespace ingestd::kit::pg
