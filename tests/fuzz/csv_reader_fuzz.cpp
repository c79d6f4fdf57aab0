// The CSV reader on arbitrary bytes (the first byte picks the delimiter and
// quote): every record comes out or a data error names the line.
#include "csv_reader.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char delimiter = (data[0] & 1) ? ';' : ',';
  const char quote = (data[0] & 2) ? '\'' : '"';
  // The reader reads a path: an anonymous file in memory.
  int fd = memfd_create("csv", 0);
  if (fd < 0) return 0;
  if (write(fd, data + 1, size - 1) != static_cast<ssize_t>(size - 1)) {
    close(fd);
    return 0;
  }
  try {
    ingestd::plugins::files::CsvReader reader("/proc/self/fd/" + std::to_string(fd), delimiter, quote);
    std::vector<ingestd::plugins::files::CsvField> record;
    std::size_t fields = 0;
    while (reader.next(record)) fields += record.size();
    (void)fields;
  } catch (const ingestd::sdk::Error&) {
  }
  close(fd);
  return 0;
}
