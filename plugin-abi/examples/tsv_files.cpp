// A destination: each stream's rows appended to FOLDER/TABLE.tsv, one line a
// row, tabs, newlines and backslashes escaped, NULL as \N.
#include <ingestd/sdk.hpp>
#include <fstream>
using namespace ingestd::sdk;

struct TsvFiles : TableWriter {
  std::filesystem::path folder = ".";
  std::filesystem::path path;
  std::ofstream out;
  std::string text, value;
  static void declare(Declaration<TsvFiles>& d) {
    d.plugin("tsv_files", "1.0.0", "Appends each stream's rows to FOLDER/TABLE.tsv");
    d.option("folder", &TsvFiles::folder, "Where the files go");
  }
  void open(const TableRequest& r) override {
    path = folder / (r.table + ".tsv");
    out.open(path, std::ios::binary | std::ios::app);
    if (!out) throw io_error("cannot open " + path.string(), false);
  }
  void write(const BatchReader& batch) override {
    for (int64_t i = 0; i < batch.rows(); ++i) {
      text.clear();
      for (std::size_t c = 0; c < batch.column_count(); ++c) {
        if (c > 0) text += '\t';
        if (batch.column(c).is_null(i)) { text += "\\N"; continue; }
        value.clear();
        append_text(batch.column(c), i, value);
        for (char ch : value) {
          if (ch == '\t') text += "\\t";
          else if (ch == '\n') text += "\\n";
          else if (ch == '\\') text += "\\\\";
          else text += ch;
        }
      }
      out << text << '\n';
    }
  }
  void commit() override {
    if (!out.flush()) throw io_error("cannot write " + path.string(), false);
  }
};
INGESTD_PLUGIN_CLASS(TsvFiles)
