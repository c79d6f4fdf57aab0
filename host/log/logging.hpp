// Logging for the host and, through the host API, for plugins. Every message
// passes the redactor, so configured secrets never reach the log.
#pragma once

#include <string>
#include <string_view>

namespace ingestd::log {

enum class Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 5 };

// level: trace|debug|info|warn|error|off; format: text|json.
// Throws std::invalid_argument for unknown values.
void configure(const std::string& level, const std::string& format);

bool enabled(Level level);

// What a line is about, as separate fields of JSON logs; empty: not set.
struct Fields {
  std::string_view flow, stream, destination;
};

// `component` says who speaks ("source shop", "orders/users -> lake"); may be empty.
void write(Level level, std::string_view component, std::string_view message, const Fields& fields = {});

// The run the lines of this thread belong to (a run_id field in JSON logs),
// while it lives. Threads of one run each hold one: runs of `ingestd serve`
// go side by side.
class RunIdScope {
 public:
  explicit RunIdScope(std::string run_id);
  ~RunIdScope();
  RunIdScope(const RunIdScope&) = delete;
  RunIdScope& operator=(const RunIdScope&) = delete;

 private:
  std::string previous_;
};

inline void trace(std::string_view m) { write(Level::Trace, {}, m); }
inline void debug(std::string_view m) { write(Level::Debug, {}, m); }
inline void info(std::string_view m) { write(Level::Info, {}, m); }
inline void warn(std::string_view m) { write(Level::Warn, {}, m); }
inline void error(std::string_view m) { write(Level::Error, {}, m); }

// Values that must never be printed (passwords, tokens); registered while
// configs are validated, replaced by "***" wherever they appear, in every
// form they take (percent-encoded, JSON-escaped; see secret_forms.hpp), and
// so are the credentials inside them (a DSN's password).
void add_secret(const std::string& secret);
// Registers only the credentials inside a value that is not itself secret:
// a URL's userinfo password, a password= or api_key= parameter.
void add_credentials_in(const std::string& value);
std::string redact(std::string_view text);

}  // namespace ingestd::log
