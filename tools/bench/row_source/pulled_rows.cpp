// The benchmark rows through the SDK's row-pulling path (RowSource).
#include "cells.hpp"

#include <ingestd/sdk.hpp>

using namespace ingestd::sdk;

struct PulledRows : RowSource {
  int64_t rows = 1000000;
  int64_t id = 0;
  char a[16], b[16];
  static void declare(Declaration<PulledRows>& d) {
    d.plugin("pulled_rows", "1.0.0", "Benchmark rows, handed over one at a time");
    d.option("rows", &PulledRows::rows, "Rows to produce");
    d.stream("rows", bench::schema());
  }
  bool next_row(Row& row) override {
    if (id == rows) return false;
    uint64_t h = bench::mix(static_cast<uint64_t>(++id));
    row << id << static_cast<double>(h % 100000) / 100.0 << static_cast<int64_t>(h % 1000) << bench::word(h, a)
        << ((h & 1) != 0) << static_cast<int64_t>(946684800000000LL + static_cast<int64_t>(h % 946080000000000ULL))
        << bench::word(h >> 7, b) << static_cast<double>(h % 997) / 7.0;
    return true;
  }
  std::optional<std::string> checkpoint() override { return std::to_string(id); }
};
INGESTD_PLUGIN_CLASS(PulledRows)
