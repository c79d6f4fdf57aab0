// The CSV reader gives the same records with every byte scanner (scalar,
// SSE2, AVX2), on the RFC 4180 edge cases and on records laid across the
// scanners' 64-byte blocks and the reader's buffer refills.
#include "csv_prefetch.hpp"
#include "csv_reader.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using ingestd::plugins::files::available_csv_scanners;
using ingestd::plugins::files::CsvField;
using ingestd::plugins::files::CsvReader;
using ingestd::plugins::files::CsvScanner;

namespace {

struct Parsed {
  std::vector<std::vector<std::string>> records;  // a quoted field is written "q:" + text
  std::vector<int64_t> lines;
  std::vector<bool> ascii;
  std::string error;
  bool operator==(const Parsed&) const = default;
};

// Parses `text` as a file, with `scanner`; `max_record` small forces refills.
Parsed parse(const std::string& text, const CsvScanner& scanner, std::size_t max_record = CsvReader::kDefaultMaxRecord,
             char delimiter = ',') {
  int fd = memfd_create("csv", 0);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  Parsed out;
  try {
    CsvReader reader("/proc/self/fd/" + std::to_string(fd), delimiter, '"', max_record, scanner);
    std::vector<CsvField> fields;
    while (reader.next(fields)) {
      std::vector<std::string> record;
      for (const auto& f : fields) record.push_back((f.quoted ? "q:" : "") + std::string(f.text));
      out.records.push_back(record);
      out.lines.push_back(reader.line());
      out.ascii.push_back(reader.record_is_ascii());
    }
  } catch (const ingestd::sdk::Error& e) {
    out.error = e.what();
  }
  close(fd);
  return out;
}

// Parses with every scanner, checks they agree, returns the scalar result.
Parsed parse_all(const std::string& text, std::size_t max_record = CsvReader::kDefaultMaxRecord, char delimiter = ',') {
  const auto scanners = available_csv_scanners();
  Parsed first = parse(text, *scanners.front(), max_record, delimiter);
  for (const CsvScanner* s : scanners) {
    CAPTURE(s->name);
    CHECK(parse(text, *s, max_record, delimiter) == first);
  }
  return first;
}

using Records = std::vector<std::vector<std::string>>;

}  // namespace

TEST_CASE("csv reader: RFC 4180 edge cases, the same with every scanner") {
  CHECK(available_csv_scanners().front()->name == std::string("scalar"));
  CHECK(parse_all("a,b\n1,2\n").records == Records{{"a", "b"}, {"1", "2"}});
  CHECK(parse_all("a,b\r\n1,2\r\n").records == Records{{"a", "b"}, {"1", "2"}});
  CHECK(parse_all("a,b\n1,2").records == Records{{"a", "b"}, {"1", "2"}});  // no final newline
  CHECK(parse_all("\xEF\xBB\xBF" "a\n1\n").records == Records{{"a"}, {"1"}});  // byte-order mark
  CHECK(parse_all("a,b\n\n\n1,2\n").records == Records{{"a", "b"}, {"1", "2"}});  // blank lines
  CHECK(parse_all(",,\n").records == Records{{"", "", ""}});
  CHECK(parse_all("\"\",x\n").records == Records{{"q:", "x"}});
  CHECK(parse_all("\"a,b\",\"c\nd\",\"e\"\"f\"\n").records == Records{{"q:a,b", "q:c\nd", "q:e\"f"}});
  CHECK(parse_all("\"x\"\r\n\"y\"\r").records == Records{{"q:x"}, {"q:y"}});
  CHECK(parse_all("a\"b,c\n").records == Records{{"a\"b", "c"}});  // a quote inside an unquoted field
  CHECK(parse_all("a;b,c\n", CsvReader::kDefaultMaxRecord, ';').records == Records{{"a", "b,c"}});

  const Parsed lines = parse_all("a\n\"1\n2\n3\",x\nb\n");
  CHECK(lines.lines == std::vector<int64_t>{1, 2, 5});

  const Parsed unterminated = parse_all("a\n\"open,\nb\n");
  CHECK(unterminated.error.find(":2: unterminated quoted field") != std::string::npos);
  const Parsed stray = parse_all("\"a\"b,c\n");
  CHECK(stray.error.find("after a closing quote") != std::string::npos);
}

TEST_CASE("csv reader: fields across 64-byte blocks and buffer refills, the same with every scanner") {
  // Field lengths 0..130 put every separator at every position of a block.
  std::string text;
  Records expected;
  for (int n = 0; n <= 130; ++n) {
    std::string a(static_cast<std::size_t>(n), 'x'), b(static_cast<std::size_t>((n * 7) % 67), 'y');
    text += a + "," + b + (n % 3 == 0 ? "\r\n" : "\n");
    expected.push_back({a, b});
  }
  CHECK(parse_all(text).records == expected);
  // A 200-byte buffer that grows and refills mid-record.
  CHECK(parse_all(text, 300).records == expected);
  // Quoted fields longer than a block, with separators inside.
  std::string quoted = "\"" + std::string(100, ',') + "\n" + std::string(70, 'z') + "\"," + std::string(65, 'w') + "\n";
  CHECK(parse_all(quoted, 250).records ==
        Records{{"q:" + std::string(100, ',') + "\n" + std::string(70, 'z'), std::string(65, 'w')}});
}

TEST_CASE("csv reader: which records are known ASCII") {
  const Parsed p = parse_all("a,b\n\xC3\xA9,x\nc,d\n" + std::string(100, 'e') + ",\xFF\nf,g\n", 200);
  CHECK(p.ascii == std::vector<bool>{true, false, true, false, true});
  // Every record after a non-ASCII one in a long file is seen again as ASCII.
  std::string text = "\xC3\xA9\n";
  for (int i = 0; i < 5000; ++i) text += "plain,row\n";
  const Parsed many = parse_all(text);
  REQUIRE(many.ascii.size() == 5001);
  CHECK_FALSE(many.ascii[0]);
  CHECK(std::count(many.ascii.begin(), many.ascii.end(), true) == 5000);
}

namespace {

// Reads `text` through a CsvPrefetcher (the first record read directly, as
// the stream reads a header), in the same form as parse().
Parsed parse_ahead(const std::string& text, std::size_t max_record) {
  int fd = memfd_create("csv", 0);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  Parsed out;
  try {
    auto reader = std::make_unique<CsvReader>("/proc/self/fd/" + std::to_string(fd), ',', '"', max_record);
    std::vector<CsvField> fields;
    auto take = [&](int64_t line, bool ascii) {
      std::vector<std::string> record;
      for (const auto& f : fields) record.push_back((f.quoted ? "q:" : "") + std::string(f.text));
      out.records.push_back(record);
      out.lines.push_back(line);
      out.ascii.push_back(ascii);
    };
    if (reader->next(fields)) {
      take(reader->line(), reader->record_is_ascii());
      ingestd::plugins::files::CsvPrefetcher ahead(std::move(reader));
      while (ahead.next(fields)) take(ahead.line(), ahead.record_is_ascii());
    }
  } catch (const ingestd::sdk::Error& e) {
    out.error = e.what();
  }
  close(fd);
  return out;
}

}  // namespace

TEST_CASE("csv reader: read ahead on a thread, records, lines and errors come out as read directly") {
  std::string text = "id,name,note\n";
  for (int i = 0; i < 30000; ++i) {
    text += std::to_string(i) + ",";
    text += i % 7 == 0 ? "\"quoted, with \"\"quotes\"\"\nand a line\"" : "plain" + std::to_string(i);
    text += i % 11 == 0 ? ",caf\xC3\xA9\n" : ",x\n";
  }
  // A large buffer, and a small one refilled (into a new buffer) every few records.
  for (std::size_t max_record : {CsvReader::kDefaultMaxRecord, std::size_t{200}}) {
    CAPTURE(max_record);
    const Parsed direct = parse(text, *available_csv_scanners().back(), max_record);
    REQUIRE(direct.error.empty());
    CHECK(parse_ahead(text, max_record) == direct);
  }
  // A malformed record: the records before it, then its error.
  const std::string broken = text + "9,\"never closed\n";
  const Parsed direct = parse(broken, *available_csv_scanners().back(), 200);
  const Parsed ahead = parse_ahead(broken, 200);
  CHECK(ahead.records.size() == direct.records.size());
  CHECK(ahead.error == direct.error);
  CHECK(ahead.error.find("unterminated quoted field") != std::string::npos);
  // Given up early: the reading thread stops.
  int fd = memfd_create("csv", 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  {
    auto reader = std::make_unique<CsvReader>("/proc/self/fd/" + std::to_string(fd), ',', '"', 200);
    ingestd::plugins::files::CsvPrefetcher ahead(std::move(reader));
    std::vector<CsvField> fields;
    for (int i = 0; i < 10; ++i) REQUIRE(ahead.next(fields));
  }
  close(fd);
}
