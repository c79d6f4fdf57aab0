// The null destination: accepts every batch and keeps nothing. A sink for
// benchmarks (it measures the source alone) and for trying flows out.
#include <ingestd/sdk.hpp>
#include <ingestd/sdk/backoff.hpp>

namespace ingestd::plugins::null {
namespace {

using namespace ingestd::sdk;

struct NullTable : TableWriter {
  std::chrono::milliseconds write_delay{0};
  std::string table;
  int64_t rows = 0;
  int64_t batches = 0;
  int64_t commits = 0;

  static void declare(Declaration<NullTable>& d) {
    d.plugin("null", "1.0.0", "Discards every batch and counts it (benchmarks, dry runs)");
    d.option("write_delay", &NullTable::write_delay, "Pause this long per batch, to act as a slow destination");
    d.load_modes(INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE);
  }
  void open(const TableRequest& r) override { table = r.table; }
  void write(const BatchReader& batch) override {
    // A slow destination on purpose, that still stops on cancel.
    if (write_delay.count() > 0 && !Backoff::sleep(write_delay.count(), [this] { return cancelled(); }))
      throw cancelled_error();
    rows += batch.rows();
    ++batches;
  }
  void commit() override { ++commits; }
  void close(bool complete) override {
    host().count("rows_discarded", rows);
    host().debug("discarded " + std::to_string(rows) + " rows in " + std::to_string(batches) + " batches of " +
                 table + (complete ? "" : " (incomplete)") + ", " + std::to_string(commits) + " commits");
  }
};

}  // namespace
}  // namespace ingestd::plugins::null

INGESTD_PLUGIN_CLASS(ingestd::plugins::null::NullTable)
