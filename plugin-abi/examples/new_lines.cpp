// An incremental source: the lines appended to a file since the last run.
// The checkpoint is the offset after the last line handed over; a last line
// still without its newline waits for the next run.
#include <ingestd/sdk.hpp>
#include <fstream>
using namespace ingestd::sdk;

struct NewLines : RowSource {
  std::filesystem::path file;
  std::ifstream in;
  std::string line;
  int64_t offset = 0;
  static void declare(Declaration<NewLines>& d) {
    d.plugin("new_lines", "1.0.0", "The lines appended to a file since the last run");
    d.option("file", &NewLines::file, "The file to read").required();
    d.stream("lines", {{{"offset", TypeId::Int64, false}, {"line", TypeId::Utf8, false}}}).key({"offset"}).cursor("offset");
  }
  void open(const StreamRequest& r) override {
    if (r.state && r.extract_mode != INGESTD_EXTRACT_SNAPSHOT) offset = std::stoll(*r.state);
    in.open(file, std::ios::binary);
    if (!in) throw io_error("cannot open " + file.string(), false);
    if (std::filesystem::file_size(file) < static_cast<uintmax_t>(offset))
      throw data_error(file.string() + " is shorter than the saved offset " + *r.state + " (replaced or truncated?)");
    in.seekg(offset);
  }
  bool next_row(Row& row) override {
    if (!std::getline(in, line) || in.eof()) return false;
    row << offset << line;
    offset += static_cast<int64_t>(line.size()) + 1;
    return true;
  }
  std::optional<std::string> checkpoint() override { return std::to_string(offset); }
};
INGESTD_PLUGIN_CLASS(NewLines)
