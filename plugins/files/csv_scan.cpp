#include "csv_scan.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ingestd::plugins::files {

namespace {

uint64_t separators_scalar(const char* block, char delimiter) {
  uint64_t bits = 0;
  for (int i = 0; i < 64; ++i) bits |= uint64_t{block[i] == delimiter || block[i] == '\n'} << i;
  return bits;
}

const char* non_ascii_scalar(const char* p, const char* end) {
  while (p < end && !(static_cast<unsigned char>(*p) & 0x80)) ++p;
  return p;
}

#if defined(__x86_64__)
// SSE2 is part of every x86-64 CPU.
uint64_t separators_sse2(const char* block, char delimiter) {
  const __m128i delim = _mm_set1_epi8(delimiter);
  const __m128i newline = _mm_set1_epi8('\n');
  uint64_t bits = 0;
  for (int i = 0; i < 64; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i));
    const auto hits = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, delim), _mm_cmpeq_epi8(bytes, newline))));
    bits |= uint64_t{hits} << i;
  }
  return bits;
}

const char* non_ascii_sse2(const char* p, const char* end) {
  for (; end - p >= 16; p += 16) {
    const int high = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    if (high) return p + __builtin_ctz(static_cast<unsigned>(high));
  }
  return non_ascii_scalar(p, end);
}

__attribute__((target("avx2"))) uint64_t separators_avx2(const char* block, char delimiter) {
  const __m256i delim = _mm256_set1_epi8(delimiter);
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
  const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
  const auto low_hits = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(low, delim), _mm256_cmpeq_epi8(low, newline))));
  const auto high_hits = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(high, delim), _mm256_cmpeq_epi8(high, newline))));
  return uint64_t{low_hits} | uint64_t{high_hits} << 32;
}

__attribute__((target("avx2"))) const char* non_ascii_avx2(const char* p, const char* end) {
  for (; end - p >= 64; p += 64) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    if (_mm256_movemask_epi8(_mm256_or_si256(a, b))) break;  // found within these 64 bytes
  }
  return non_ascii_sse2(p, end);
}

constexpr CsvScanner kSse2{"sse2", separators_sse2, non_ascii_sse2};
constexpr CsvScanner kAvx2{"avx2", separators_avx2, non_ascii_avx2};
#endif

constexpr CsvScanner kScalar{"scalar", separators_scalar, non_ascii_scalar};

const CsvScanner& choose() {
  const std::vector<const CsvScanner*> all = available_csv_scanners();
  if (const char* wanted = std::getenv("INGESTD_CSV_SCANNER"))
    for (const CsvScanner* s : all)
      if (std::strcmp(s->name, wanted) == 0) return *s;
  return *all.back();
}

}  // namespace

std::vector<const CsvScanner*> available_csv_scanners() {
  std::vector<const CsvScanner*> all{&kScalar};
#if defined(__x86_64__)
  all.push_back(&kSse2);
  if (__builtin_cpu_supports("avx2")) all.push_back(&kAvx2);
#endif
  return all;
}

const CsvScanner& best_csv_scanner() {
  static const CsvScanner& chosen = choose();
  return chosen;
}

}  // namespace ingestd::plugins::files
