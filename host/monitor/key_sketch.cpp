#include "monitor/key_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ingestd {

namespace {

constexpr int kPrecision = 14;
constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;

}  // namespace

KeySketch KeySketch::parse(std::string_view blob) {
  KeySketch s;
  if (blob.empty()) return s;
  const std::string_view body = blob.substr(1);
  if (blob[0] == 'E' && body.size() % 8 == 0) {
    s.hashes_.resize(body.size() / 8);
    std::memcpy(s.hashes_.data(), body.data(), body.size());
    std::sort(s.hashes_.begin(), s.hashes_.end());
  } else if (blob[0] == 'H' && body.size() == kRegisters) {
    s.registers_.assign(body.begin(), body.end());
  }
  return s;
}

std::string KeySketch::serialize() const {
  if (!exact()) return "H" + std::string(registers_.begin(), registers_.end());
  std::string out = "E";
  out.append(reinterpret_cast<const char*>(hashes_.data()), hashes_.size() * 8);
  return out;
}

void KeySketch::add(uint64_t hash) {
  if (!exact()) return add_to_registers(hash);
  auto at = std::lower_bound(hashes_.begin(), hashes_.end(), hash);
  if (at != hashes_.end() && *at == hash) return;
  hashes_.insert(at, hash);
  if (hashes_.size() > kExactLimit) to_registers();
}

void KeySketch::add(const KeySketch& other) {
  if (other.exact()) {
    for (uint64_t h : other.hashes_) add(h);
    return;
  }
  if (exact()) to_registers();
  for (std::size_t i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

void KeySketch::to_registers() {
  registers_.assign(kRegisters, 0);
  for (uint64_t h : hashes_) add_to_registers(h);
  hashes_.clear();
  hashes_.shrink_to_fit();
}

void KeySketch::add_to_registers(uint64_t hash) {
  const std::size_t index = hash >> (64 - kPrecision);
  const uint64_t rest = (hash << kPrecision) | (uint64_t{1} << (kPrecision - 1));  // never zero
  const auto rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
  registers_[index] = std::max(registers_[index], rank);
}

int64_t KeySketch::count() const {
  if (exact()) return static_cast<int64_t>(hashes_.size());
  const double m = static_cast<double>(kRegisters);
  double sum = 0;
  std::size_t zeros = 0;
  for (uint8_t r : registers_) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0 ? 1 : 0;
  }
  double estimate = 0.7213 / (1 + 1.079 / m) * m * m / sum;
  // Small counts: linear counting over the empty registers is the better estimate.
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / static_cast<double>(zeros));
  return static_cast<int64_t>(std::llround(estimate));
}

}  // namespace ingestd
