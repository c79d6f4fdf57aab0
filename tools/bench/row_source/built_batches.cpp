// The benchmark rows, each batch built by hand on BatchBuilder: what the
// row-pulling path is compared with.
#include "cells.hpp"

#include <ingestd/sdk.hpp>

#include <algorithm>

using namespace ingestd::sdk;

namespace {

class BuiltStream : public SourceStream {
 public:
  BuiltStream(int64_t rows, int64_t batch_rows) : rows_(rows), batch_rows_(batch_rows), builder_(bench::schema()) {}
  Schema schema() override { return bench::schema(); }
  bool next(Batch& out) override {
    if (id_ == rows_) return false;
    int64_t last = std::min(rows_, id_ + batch_rows_);
    builder_.reserve(last - id_);
    char a[16], b[16];
    while (id_ < last) {
      uint64_t h = bench::mix(static_cast<uint64_t>(++id_));
      builder_.column(0).append_int(id_);
      builder_.column(1).append_double(static_cast<double>(h % 100000) / 100.0);
      builder_.column(2).append_int(static_cast<int64_t>(h % 1000));
      builder_.column(3).append_string(bench::word(h, a));
      builder_.column(4).append_bool((h & 1) != 0);
      builder_.column(5).append_int(946684800000000LL + static_cast<int64_t>(h % 946080000000000ULL));
      builder_.column(6).append_string(bench::word(h >> 7, b));
      builder_.column(7).append_double(static_cast<double>(h % 997) / 7.0);
    }
    out.array = builder_.finish();
    out.checkpoint = std::to_string(id_);
    return true;
  }

 private:
  int64_t rows_, batch_rows_, id_ = 0;
  BatchBuilder builder_;
};

class BuiltBatches : public Instance {
 public:
  explicit BuiltBatches(const CreateContext& c) : rows_(c.options.integer("rows")) {}
  std::vector<StreamInfo> discover() override { return {StreamInfo{"rows", bench::schema(), {}, {}, 0}}; }
  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    return std::make_unique<BuiltStream>(rows_, r.batch_rows);
  }

 private:
  int64_t rows_;
};

PluginInfo describe() {
  PluginInfo p{.name = "built_batches", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "Benchmark rows, built into batches by hand", .extract_modes = INGESTD_EXTRACT_SNAPSHOT};
  p.options = {option("rows", INGESTD_OPTION_INT, "Rows to produce").default_to("1000000")};
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& c) { return std::make_unique<BuiltBatches>(c); }

}  // namespace

INGESTD_PLUGIN(describe, create)
