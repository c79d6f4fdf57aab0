#include "config/env_expand.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ingestd {

namespace {

// One pass over `text`: appends the expansion to `out` when given, and
// returns its size. Counting only (`out` null) never throws: an unset
// variable counts as empty, an unterminated "${" as written.
std::size_t expand(std::string_view text, std::string* out, bool* used_environment) {
  std::size_t size = 0;
  auto emit = [&](std::string_view part) {
    size += part.size();
    if (!out) return;
    if (size > kMaxExpandedValue)
      throw std::runtime_error("the value expands to more than " + std::to_string(kMaxExpandedValue >> 20) +
                               " MiB (${...})");
    out->append(part);
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      emit("${");
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      std::size_t next = text.find('$', i + 1);
      if (next == std::string_view::npos) next = text.size();
      emit(text.substr(i, next - i));
      i = next;
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      // Not the value itself: it may be a DSN with a password in it.
      if (out) throw std::runtime_error("unterminated '${' at character " + std::to_string(i + 1) + " of the value");
      emit(text.substr(i));
      break;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (std::size_t dash = inner.find(":-"); dash != std::string_view::npos) {
      name = inner.substr(0, dash);
      fallback = inner.substr(dash + 2);
    }
    if (name.empty() && out) throw std::runtime_error("empty variable name in '${}'");
    const char* value = name.empty() ? nullptr : std::getenv(std::string(name).c_str());
    if (value && (*value || !fallback)) {
      emit(value);
    } else if (fallback) {
      emit(*fallback);
    } else if (out) {
      throw std::runtime_error("environment variable " + std::string(name) + " is not set (write ${" +
                               std::string(name) + ":-default} for a fallback)");
    }
    if (used_environment) *used_environment = true;
    i = close + 1;
  }
  return size;
}

}  // namespace

EnvExpansion expand_env(std::string_view text) {
  EnvExpansion out;
  expand(text, &out.value, &out.used_environment);
  return out;
}

std::size_t expanded_size(std::string_view text) { return expand(text, nullptr, nullptr); }

}  // namespace ingestd
