// The CSV reader on arbitrary bytes (the first byte picks the delimiter, the
// quote and a small buffer): every record comes out or a data error names the
// line, and every byte scanner (scalar, SSE2, AVX2) gives the same records,
// lines and errors; a difference aborts.
#include "csv_reader.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

using ingestd::plugins::files::CsvField;
using ingestd::plugins::files::CsvReader;
using ingestd::plugins::files::CsvScanner;

// Everything the reader said, as one string.
std::string read_all(const std::string& path, char delimiter, char quote, std::size_t max_record,
                     const CsvScanner& scanner) {
  std::string said;
  try {
    CsvReader reader(path, delimiter, quote, max_record, scanner);
    std::vector<CsvField> record;
    while (reader.next(record)) {
      said += std::to_string(reader.line()) + (reader.record_is_ascii() ? "a" : "u") + ":";
      for (const auto& f : record) said += std::to_string(f.quoted) + std::to_string(f.text.size()) + "|" += f.text;
      said += "\n";
    }
  } catch (const ingestd::sdk::Error& e) {
    said += std::string("error: ") + e.what();
  }
  return said;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char delimiter = (data[0] & 1) ? ';' : ',';
  const char quote = (data[0] & 2) ? '\'' : '"';
  const std::size_t max_record = (data[0] & 4) ? 100 : CsvReader::kDefaultMaxRecord;
  // The reader reads a path: an anonymous file in memory.
  int fd = memfd_create("csv", 0);
  if (fd < 0) return 0;
  if (write(fd, data + 1, size - 1) != static_cast<ssize_t>(size - 1)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const auto scanners = ingestd::plugins::files::available_csv_scanners();
  const std::string expected = read_all(path, delimiter, quote, max_record, *scanners.front());
  for (const CsvScanner* s : scanners)
    if (read_all(path, delimiter, quote, max_record, *s) != expected) {
      std::fprintf(stderr, "the %s CSV scanner reads this input differently from the scalar one\n", s->name);
      std::abort();
    }
  close(fd);
  return 0;
}
