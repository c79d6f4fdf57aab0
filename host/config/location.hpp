// Where in a flow file something was written, and the error that names it.
#pragma once

#include <stdexcept>
#include <string>

namespace ingestd {

struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  // "flows.toml:12:3", or just the file when the position is unknown.
  std::string str() const;
};

// A configuration mistake: reported as "file:line:col: key: message", exit 2.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const Location& where, const std::string& key, const std::string& message);
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ingestd
