// A complete source plugin: one stream counting from 1 to n.
#include <ingestd/sdk.hpp>
using namespace ingestd::sdk;

struct Counter : RowSource {
  int64_t n = 10;  // the option n, 10 unless the flow says otherwise
  int64_t i = 0;
  static void declare(Declaration<Counter>& d) {
    d.plugin("counter", "1.0.0", "Counts from 1 to n");
    d.option("n", &Counter::n, "How far to count");
    d.stream("numbers", {{{"n", TypeId::Int64, false}}}).key({"n"});
  }
  bool next_row(Row& row) override {
    if (i == n) return false;
    row << ++i;
    return true;
  }
};
INGESTD_PLUGIN_CLASS(Counter)
