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

static std::string lines(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "\n") + std::string(e.what());
  return out;
}

ConfigErrors::ConfigErrors(std::vector<ConfigError> errors) : ConfigError(lines(errors)), errors_(std::move(errors)) {}

void ErrorCollector::throw_if_any() const {
  if (errors_.size() == 1) throw errors_.front();
  if (!errors_.empty()) throw ConfigErrors(errors_);
}

}  // namespace ingestd
