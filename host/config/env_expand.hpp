// ${VAR} in flow-file strings reads the environment.
#pragma once

#include <cstddef>
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
// Throws std::runtime_error naming the variable when it is not set, and
// when the value grows past kMaxExpandedValue.
EnvExpansion expand_env(std::string_view text);

constexpr std::size_t kMaxExpandedValue = std::size_t{1} << 20;

// The size expand_env would give, without building it or failing (an unset
// variable counts as empty): for checking limits before expanding.
std::size_t expanded_size(std::string_view text);

}  // namespace ingestd
