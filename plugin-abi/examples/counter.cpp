// A complete source plugin on the C++ SDK: one stream counting 1..n.
// Built by tests/abi against an installed ingestd, like a third party would.
#include <ingestd/sdk.hpp>

using namespace ingestd::sdk;

namespace {

class Counter : public SourceStream {
 public:
  explicit Counter(int64_t n) : n_(n), batch_(schema()) {}
  Schema schema() override { return Schema{{{"n", TypeId::Int64, false}}}; }
  bool next(Batch& out) override {
    if (done_) return false;
    for (int64_t i = 1; i <= n_; ++i) batch_.column(0).append_int(i);
    out.array = batch_.finish();
    done_ = true;
    return true;
  }

 private:
  int64_t n_;
  BatchBuilder batch_;
  bool done_ = false;
};

class CounterSource : public Instance {
 public:
  explicit CounterSource(const CreateContext& c) : n_(c.options.integer("n")) {}
  std::vector<StreamInfo> discover() override {
    return {StreamInfo{"numbers", Counter(0).schema(), {"n"}, {"n"}, 0}};
  }
  std::unique_ptr<SourceStream> open_stream(const StreamRequest&) override {
    return std::make_unique<Counter>(n_);
  }

 private:
  int64_t n_;
};

PluginInfo describe() {
  PluginInfo p;
  p.name = "counter";
  p.version = "1.0.0";
  p.kinds = INGESTD_KIND_SOURCE;
  p.description = "Counts from 1 to n";
  p.extract_modes = INGESTD_EXTRACT_SNAPSHOT;
  p.options = {option("n", INGESTD_OPTION_INT, "How far to count").default_to("10")};
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& c) { return std::make_unique<CounterSource>(c); }

}  // namespace

INGESTD_PLUGIN(describe, create)
