// Where in a flow file something was written, and the error that names it.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

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

// Several configuration mistakes found in one pass, each a ConfigError;
// what() is all of them, one per line.
class ConfigErrors : public ConfigError {
 public:
  explicit ConfigErrors(std::vector<ConfigError> errors);
  const std::vector<ConfigError>& errors() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

// Collects ConfigErrors so that a pass can report every mistake, not only
// the first: run(f) records what f throws and carries on.
class ErrorCollector {
 public:
  template <class F>
  bool run(F&& f) {
    try {
      f();
      return true;
    } catch (const ConfigErrors& e) {
      for (const auto& one : e.errors()) errors_.push_back(one);
    } catch (const ConfigError& e) {
      errors_.push_back(e);
    }
    return false;
  }
  bool empty() const { return errors_.empty(); }
  // Throws ConfigErrors (or the single ConfigError) when anything was collected.
  void throw_if_any() const;

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace ingestd
