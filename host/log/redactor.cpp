#include "log/logging.hpp"

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

}  // namespace

void add_secret(const std::string& secret) {
  if (secret.empty()) return;
  Secrets& s = secrets();
  std::unique_lock lock(s.mutex);
  if (std::find(s.values.begin(), s.values.end(), secret) != s.values.end()) return;
  s.values.push_back(secret);
  std::sort(s.values.begin(), s.values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
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
