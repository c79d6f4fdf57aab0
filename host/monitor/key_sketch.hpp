// The distinct keys of a set of 64-bit key hashes, in bounded space: exact
// up to kExactLimit keys (their hashes kept), then estimated with
// HyperLogLog (2^14 registers, a standard error of about 0.8 %). What `ingestd
// usage` counts active rows with, per flow, stream and month.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd {

class KeySketch {
 public:
  static constexpr std::size_t kExactLimit = 4096;

  // As serialize() wrote it; an empty or unreadable blob is an empty sketch.
  static KeySketch parse(std::string_view blob);
  std::string serialize() const;

  void add(uint64_t hash);
  void add(const KeySketch& other);
  int64_t count() const;
  bool exact() const { return registers_.empty(); }

 private:
  void to_registers();
  void add_to_registers(uint64_t hash);

  std::vector<uint64_t> hashes_;    // sorted, while exact
  std::vector<uint8_t> registers_;  // once estimated
};

}  // namespace ingestd
