#include "config/location.hpp"

namespace ingestd {

std::string Location::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

static std::string compose(const Location& where, const std::string& key, const std::string& message) {
  std::string out = where.str();
  if (!out.empty()) out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

ConfigError::ConfigError(const Location& where, const std::string& key, const std::string& message)
    : std::runtime_error(compose(where, key, message)) {}

}  // namespace ingestd
