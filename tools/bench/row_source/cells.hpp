// The rows both benchmark sources produce: an id and seven columns of mixed
// types computed from it, the same values whichever way they are handed over.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <cstdint>
#include <string_view>

namespace bench {

inline ingestd::sdk::Schema schema() {
  using ingestd::sdk::TypeId;
  return ingestd::sdk::Schema{{{"id", TypeId::Int64, false},
                               {"amount", TypeId::Float64, false},
                               {"count", TypeId::Int64, false},
                               {"name", TypeId::Utf8, false},
                               {"flag", TypeId::Bool, false},
                               {"at", TypeId::TimestampUs, false},
                               {"code", TypeId::Utf8, false},
                               {"score", TypeId::Float64, false}}};
}

inline uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// A word of 8 to 15 letters held in `buf`.
inline std::string_view word(uint64_t v, char* buf) {
  std::size_t len = 8 + v % 8;
  for (std::size_t i = 0; i < len; ++i, v /= 7) buf[i] = static_cast<char>('a' + (v + i) % 26);
  return {buf, len};
}

}  // namespace bench
