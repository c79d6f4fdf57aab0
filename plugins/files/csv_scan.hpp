// The byte searches the CSV reader's hot loop runs, in a scalar version and
// SIMD versions (SSE2, AVX2) picked once at run time from the CPU. All
// versions give the same answers; the SIMD ones look at 16 or 32 bytes per
// step instead of one.
#pragma once

#include <cstdint>
#include <vector>

namespace ingestd::plugins::files {

struct CsvScanner {
  const char* name;
  // Bit i set when block[i] is the delimiter or '\n', for 64 bytes
  // from `block` (all of them readable).
  uint64_t (*separators)(const char* block, char delimiter);
  // The first byte in [p, end) with its high bit set (not ASCII); `end` when none.
  const char* (*non_ascii)(const char* p, const char* end);
};

// The fastest scanner this CPU runs. INGESTD_CSV_SCANNER=scalar|sse2|avx2
// picks one by name (for comparing them; an unknown or unsupported name is
// ignored with the best one used).
const CsvScanner& best_csv_scanner();
// Every scanner this CPU runs, the scalar one first.
std::vector<const CsvScanner*> available_csv_scanners();

}  // namespace ingestd::plugins::files
