// Row images of the binary log, built byte by byte as the server writes
// them, read back as the text a SELECT gives; data that does not fit the
// table map refused.
#include <doctest/doctest.h>

#include "binlog_rows.hpp"

#include <stdexcept>
#include <string>

using namespace ingestd::plugins::mysql::binlog;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (int c : b) out.push_back(static_cast<char>(c));
  return out;
}

}  // namespace

TEST_CASE("binlog rows: integers by signedness, decimals, dates, times and labels read as a SELECT shows them") {
  // Columns: int unsigned, tinyint, decimal(5,2), datetime(6), time(2), enum('a','b'), set('x','y','z'),
  // bit(12), varchar(300), year.
  const std::string types = bytes({3, 1, 246, 18, 19, 254, 254, 16, 15, 13});
  const std::string meta = bytes({5, 2,        // decimal: precision, scale
                                  6,           // datetime fsp
                                  2,           // time fsp
                                  247, 1,      // enum, 1 byte
                                  248, 1,      // set, 1 byte
                                  4, 1,        // bit: 4 bits + 1 byte
                                  0x2c, 0x01});  // varchar max 300 (2-byte length)
  const TableMap map = table_map(types, meta);
  REQUIRE(map.types.size() == 10);
  std::vector<ColumnHint> hints(10);
  hints[0].is_unsigned = true;
  hints[5].labels = {"a", "b"};
  hints[6].labels = {"x", "y", "z"};
  const std::string present = bytes({0xff, 0x03});
  std::string row = bytes({0x00, 0x00});                       // no NULLs
  row += bytes({0xff, 0xff, 0xff, 0xff});                      // 4294967295
  row += bytes({0x80});                                        // -128
  row += bytes({0x7f, 0xfe, 0xcd});                            // -1.50
  // 2024-02-29 23:59:59.999999: ym = 2024 * 13 + 2, ymd = ym << 5 | 29, hms = 23 << 12 | 59 << 6 | 59
  const uint64_t ymd = (2024ull * 13 + 2) << 5 | 29, hms = 23ull << 12 | 59ull << 6 | 59;
  const uint64_t packed = (ymd << 17 | hms) + 0x8000000000ull;
  for (int i = 4; i >= 0; --i) row.push_back(static_cast<char>(packed >> (8 * i) & 0xff));
  row += bytes({0x0f, 0x42, 0x3f});                            // 999999 microseconds
  // -00:00:01.25 packs as whole seconds -2 and hundredths 0x100 - 25 (the fraction borrows a second)
  const int64_t whole = 0x800000 - 2;
  row += bytes({static_cast<int>(whole >> 16 & 0xff), static_cast<int>(whole >> 8 & 0xff),
                static_cast<int>(whole & 0xff), 0x100 - 25});
  row += bytes({2});                                           // enum: 'b'
  row += bytes({5});                                           // set: x,z
  row += bytes({0x0a, 0xaa});                                  // b'101010101010' = 2730
  row += bytes({4, 0}) + "Zoë";                                // a 2-byte length: 4 bytes of UTF-8
  row += bytes({255});                                         // 2155
  const auto changes = decode_rows(map, hints, RowChange::Kind::Insert, present, "", row);
  REQUIRE(changes.size() == 1);
  const Image& a = changes[0].after;
  CHECK(a[0] == "4294967295");
  CHECK(a[1] == "-128");
  CHECK(a[2] == "-1.50");
  CHECK(a[3] == "2024-02-29 23:59:59.999999");
  CHECK(a[4] == "-00:00:01.25");
  CHECK(a[5] == "b");
  CHECK(a[6] == "x,z");
  CHECK(a[7] == "2730");
  CHECK(a[8] == "Zoë");
  CHECK(a[9] == "2155");
}

TEST_CASE("binlog rows: NULLs and columns absent from an image, and an update's two images") {
  const TableMap map = table_map(bytes({3, 15}), bytes({20, 0}));
  const std::vector<ColumnHint> hints(2);
  // Before: both columns, v NULL. After: both, v = "hi".
  const std::string rows = bytes({0x02, 7, 0, 0, 0}) + bytes({0x00, 8, 0, 0, 0, 2}) + "hi";
  const auto changes = decode_rows(map, hints, RowChange::Kind::Update, bytes({0x03}), bytes({0x03}), rows);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].before[0] == "7");
  CHECK_FALSE(changes[0].before[1].has_value());
  CHECK(changes[0].after[0] == "8");
  CHECK(changes[0].after[1] == "hi");
  // Only the key in a delete's image.
  const auto deleted = decode_rows(map, hints, RowChange::Kind::Delete, bytes({0x01}), "", bytes({0x00, 9, 0, 0, 0}));
  REQUIRE(deleted.size() == 1);
  CHECK(deleted[0].before[0] == "9");
  CHECK_FALSE(deleted[0].before[1].has_value());
}

TEST_CASE("binlog rows: an image cut short, and a type ingestd does not read, are refused") {
  const TableMap map = table_map(bytes({3, 15}), bytes({20, 0}));
  const std::vector<ColumnHint> hints(2);
  CHECK_THROWS_WITH_AS(decode_rows(map, hints, RowChange::Kind::Insert, bytes({0x03}), "", bytes({0x00, 1, 0, 0, 0, 9})),
                       "a row image ends 9 bytes early", std::runtime_error);
  const TableMap json = table_map(bytes({245}), bytes({4}));
  CHECK_THROWS_AS(decode_rows(json, hints, RowChange::Kind::Insert, bytes({0x01}), "", bytes({0x00, 1, 0, 0, 0, 0})),
                  std::runtime_error);
  CHECK(labels_of("enum('a','it''s','c d')") == std::vector<std::string>{"a", "it's", "c d"});
}
