// ${VAR} in flow-file strings reads the environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ingestd {

struct EnvExpansion {
  std::string value;
  bool used_environment = false;  // a ${VAR} was substituted
};

// Replaces ${VAR} with the variable's value and ${VAR:-fallback} with the
// fallback when VAR is unset or empty; "$${" writes a literal "${".
// Throws std::runtime_error naming the variable when it is not set.
EnvExpansion expand_env(std::string_view text);

}  // namespace ingestd
