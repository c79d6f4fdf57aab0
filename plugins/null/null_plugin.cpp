// The null destination: accepts every batch and keeps nothing. A sink for
// benchmarks (it measures the source alone) and for trying flows out.
#include <ingestd/sdk.hpp>

#include <chrono>
#include <thread>

namespace ingestd::plugins::null {
namespace {

using namespace ingestd::sdk;

class NullTable : public DestinationTable {
 public:
  NullTable(Host host, std::string table, int64_t delay_ms, const Instance& owner)
      : host_(std::move(host)), table_(std::move(table)), delay_ms_(delay_ms), owner_(owner) {}

  void write(const BatchReader& batch) override {
    if (delay_ms_ > 0) sleep_unless_cancelled();
    rows_ += batch.rows();
    ++batches_;
  }
  void commit(uint64_t sequence) override { committed_ = sequence; }
  void close(bool complete) override {
    host_.count("rows_discarded", rows_);
    host_.debug("discarded " + std::to_string(rows_) + " rows in " + std::to_string(batches_) + " batches of " +
                table_ + (complete ? "" : " (incomplete)") + ", last commit " + std::to_string(committed_));
  }

 private:
  // A slow destination on purpose (write_delay), that still stops on cancel.
  void sleep_unless_cancelled() {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms_);
    while (std::chrono::steady_clock::now() < until) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      std::this_thread::sleep_for(std::min(std::chrono::milliseconds(10), std::chrono::milliseconds(delay_ms_)));
    }
  }

  Host host_;
  std::string table_;
  int64_t delay_ms_;
  const Instance& owner_;
  int64_t rows_ = 0;
  int64_t batches_ = 0;
  uint64_t committed_ = 0;
};

class NullInstance : public Instance {
 public:
  explicit NullInstance(const CreateContext& ctx) : delay_ms_(ctx.options.duration_ms("write_delay")) {}

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    return std::make_unique<NullTable>(r.host, r.table, delay_ms_, *this);
  }

 private:
  int64_t delay_ms_;
};

PluginInfo describe() {
  PluginInfo p;
  p.name = "null";
  p.version = "1.0.0";
  p.kinds = INGESTD_KIND_DESTINATION;
  p.description = "Discards every batch and counts it (benchmarks, dry runs)";
  p.load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE;
  p.options = {
      option("write_delay", INGESTD_OPTION_DURATION, "Pause this long per batch, to act as a slow destination")
          .default_to("0ms"),
  };
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<NullInstance>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::null

INGESTD_PLUGIN(ingestd::plugins::null::describe, ingestd::plugins::null::create)
