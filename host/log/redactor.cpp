#include "log/logging.hpp"
#include "log/secret_forms.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace ingestd::log {

namespace {

struct Secrets {
  std::shared_mutex mutex;
  std::vector<std::string> values;  // longest first, so overlaps redact fully
};

Secrets& secrets() {
  static Secrets s;
  return s;
}

void add_value(const std::string& value) {
  if (value.empty()) return;
  Secrets& s = secrets();
  std::unique_lock lock(s.mutex);
  if (std::find(s.values.begin(), s.values.end(), value) != s.values.end()) return;
  s.values.push_back(value);
  std::sort(s.values.begin(), s.values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void add_forms(std::string_view value) {
  for (const auto& form : secret_forms(value)) add_value(form);
}

}  // namespace

void add_secret(const std::string& secret) {
  add_forms(secret);
  add_credentials_in(secret);
}

void add_credentials_in(const std::string& value) {
  for (const auto& part : embedded_credentials(value)) add_forms(part);
}

std::string redact(std::string_view text) {
  std::string out(text);
  Secrets& s = secrets();
  std::shared_lock lock(s.mutex);
  for (const auto& secret : s.values) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

}  // namespace ingestd::log
