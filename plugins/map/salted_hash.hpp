// SHA-256 of a secret salt followed by a value, in lower-case hex: the map
// transform's `hash`. The salt's digest state is computed once and copied
// for every value.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ingestd::plugins::map {

class SaltedHash {
 public:
  explicit SaltedHash(std::string_view salt);
  ~SaltedHash();
  SaltedHash(const SaltedHash&) = delete;
  SaltedHash& operator=(const SaltedHash&) = delete;

  // hex(SHA-256(salt || value)), written over `out` (reused between rows).
  void hex(std::string_view value, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ingestd::plugins::map
