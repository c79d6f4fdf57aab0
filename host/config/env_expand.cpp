#include "config/env_expand.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ingestd {

EnvExpansion expand_env(std::string_view text) {
  EnvExpansion out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out.value.push_back(text[i++]);
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      // Not the value itself: it may be a DSN with a password in it.
      throw std::runtime_error("unterminated '${' at character " + std::to_string(i + 1) + " of the value");
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (std::size_t dash = inner.find(":-"); dash != std::string_view::npos) {
      name = inner.substr(0, dash);
      fallback = inner.substr(dash + 2);
    }
    if (name.empty()) throw std::runtime_error("empty variable name in '${}'");
    const char* value = std::getenv(std::string(name).c_str());
    if (value && (*value || !fallback)) {
      out.value += value;
    } else if (fallback) {
      out.value += *fallback;
    } else {
      throw std::runtime_error("environment variable " + std::string(name) +
                               " is not set (write ${" + std::string(name) +
                               ":-default} for a fallback)");
    }
    out.used_environment = true;
    i = close + 1;
  }
  return out;
}

}  // namespace ingestd
