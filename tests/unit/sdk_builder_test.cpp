#include <doctest/doctest.h>

#include "arrow/record_batch.hpp"

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/reader.hpp>

using namespace ingestd::sdk;

namespace {

Schema mixed_schema() {
  return Schema{{{"i", TypeId::Int64, false},
                 {"f", TypeId::Float64, true},
                 {"b", TypeId::Bool, true},
                 {"s", TypeId::Utf8, true},
                 {"bin", TypeId::Binary, true},
                 {"ts", TypeId::TimestampUs, true},
                 {"d", TypeId::Date32, true},
                 {"dec", DataType::decimal(10, 2), true},
                 {"n", TypeId::Null, true}}};
}

}  // namespace

TEST_CASE("builder: every type round-trips through Arrow arrays, nulls included") {
  Schema schema = mixed_schema();
  BatchBuilder b(schema);
  for (int r = 0; r < 20; ++r) {
    b.column(0).append_int(r);
    bool null = r % 3 == 0;
    if (null) {
      for (std::size_t c = 1; c < schema.size(); ++c) b.column(c).append_null();
      continue;
    }
    b.column(1).append_double(r * 0.5);
    b.column(2).append_bool(r % 2 == 0);
    b.column(3).append_string("row " + std::to_string(r));
    b.column(4).append_string(std::string("\0\xff", 2));
    b.column(5).append_int(1700000000000000LL + r);
    b.column(6).append_int(19000 + r);
    b.column(7).append_decimal(-12345 - r);
    b.column(8).append_null();
  }
  OwnedArray array = b.finish();
  CHECK(b.rows() == 0);  // the builder is ready for the next batch
  // The host's own validation accepts it and measures it.
  CHECK(ingestd::check_batch(*array.get(), schema) > 0);

  BatchReader reader(*array.get(), schema);
  REQUIRE(reader.rows() == 20);
  for (int r = 0; r < 20; ++r) {
    CHECK(reader.column(0).int_value(r) == r);
    bool null = r % 3 == 0;
    CHECK(reader.column(1).is_null(r) == null);
    CHECK(reader.column(8).is_null(r));
    if (null) continue;
    CHECK(reader.column(1).double_value(r) == r * 0.5);
    CHECK(reader.column(2).bool_value(r) == (r % 2 == 0));
    CHECK(reader.column(3).string_value(r) == "row " + std::to_string(r));
    CHECK(reader.column(4).string_value(r) == std::string("\0\xff", 2));
    CHECK(reader.column(5).int_value(r) == 1700000000000000LL + r);
    CHECK(reader.column(6).int_value(r) == 19000 + r);
    CHECK(reader.column(7).decimal_value(r) == -12345 - r);
  }
  CHECK(array.get()->children[1]->null_count == 7);
}

TEST_CASE("builder: truncate undoes a partial row, nulls and bits included") {
  Schema schema{{{"a", TypeId::Int64, true}, {"s", TypeId::Utf8, true}, {"b", TypeId::Bool, true}}};
  BatchBuilder b(schema);
  b.column(0).append_int(1);
  b.column(1).append_string("keep");
  b.column(2).append_bool(true);
  // A half-appended row: a null here, a value there, then rolled back.
  b.column(0).append_null();
  b.column(1).append_string("drop me");
  b.column(2).append_bool(true);
  b.truncate(1);
  b.column(0).append_int(2);
  b.column(1).append_null();
  b.column(2).append_bool(false);
  OwnedArray array = b.finish();
  BatchReader r(*array.get(), schema);
  REQUIRE(r.rows() == 2);
  CHECK(r.column(0).int_value(1) == 2);
  CHECK_FALSE(r.column(0).is_null(1));
  CHECK(array.get()->children[0]->null_count == 0);
  CHECK(r.column(1).is_null(1));
  CHECK(r.column(1).string_value(0) == "keep");
  CHECK(r.column(2).bool_value(1) == false);
  const int32_t* offsets = static_cast<const int32_t*>(array.get()->children[1]->buffers[1]);
  CHECK(offsets[2] == 4);  // no trace of "drop me"
}

TEST_CASE("builder: appending the wrong kind of value is refused") {
  ColumnBuilder c(TypeId::Int64);
  CHECK_THROWS_AS(c.append_string("x"), std::invalid_argument);
  ColumnBuilder s(TypeId::Utf8);
  CHECK_THROWS_AS(s.append_int(1), std::invalid_argument);
}

TEST_CASE("schema: export and import keep names, types and nullability") {
  Schema s = mixed_schema();
  OwnedSchema arrow = export_schema(s);
  CHECK(std::string(arrow.get()->format) == "+s");
  CHECK(std::string(arrow.get()->children[7]->format) == "d:10,2");
  CHECK(std::string(arrow.get()->children[5]->format) == "tsu:UTC");
  Schema back = import_schema(*arrow.get());
  CHECK(back == s);
  CHECK_FALSE(back.fields[0].nullable);
  CHECK(DataType::from_name("decimal(12,3)") == DataType::decimal(12, 3));
  CHECK_THROWS_AS(DataType::from_name("varchar"), std::invalid_argument);
}

TEST_CASE("host checks: malformed batches are refused with the reason") {
  Schema schema{{{"a", TypeId::Int64, true}}};
  BatchBuilder b(schema);
  b.column(0).append_int(1);
  OwnedArray array = b.finish();
  Schema two{{{"a", TypeId::Int64, true}, {"b", TypeId::Int64, true}}};
  CHECK_THROWS_WITH(ingestd::check_batch(*array.get(), two), "the batch has 1 columns, the stream's schema 2");
  Schema wrong{{{"a", TypeId::Utf8, true}}};
  CHECK_THROWS_WITH(ingestd::check_batch(*array.get(), wrong), "column 'a' (string): has 2 buffers, expected 3");
  array.get()->length = 5;
  CHECK_THROWS_WITH(ingestd::check_batch(*array.get(), schema), "column 'a' (int64): has 1 values for 5 rows");
}

TEST_CASE("builder: rows appended in bulk from another builder read back as if appended one by one") {
  Schema schema;
  schema.fields = {{"i", TypeId::Int64, true}, {"s", TypeId::Utf8, true}, {"b", TypeId::Bool, true},
                   {"d", DataType::decimal(10, 2), true}, {"n", TypeId::Null, true}};
  auto fill = [](BatchBuilder& rows, int from, int to) {
    for (int k = from; k < to; ++k) {
      if (k % 3 == 0) rows.column(0).append_null();
      else rows.column(0).append_int(k);
      if (k % 5 == 0) rows.column(1).append_null();
      else rows.column(1).append_string(std::string(static_cast<std::size_t>(k % 7), static_cast<char>('a' + k % 26)));
      if (k % 4 == 0) rows.column(2).append_null();
      else rows.column(2).append_bool(k % 2 == 0);
      rows.column(3).append_decimal(static_cast<__int128>(k) * 100 - 7);
      rows.column(4).append_null();
    }
  };
  // Splits at every point of 0..23 rows: validity bitmaps in either, neither or both.
  for (int split = 0; split <= 23; ++split) {
    BatchBuilder whole(schema), first(schema), second(schema);
    fill(whole, 1, 24);
    fill(first, 1, 1 + split);
    fill(second, 1 + split, 24);
    first.append_rows(second);
    OwnedArray a = whole.finish(), b = first.finish();
    BatchReader ra(*a.get(), schema), rb(*b.get(), schema);
    REQUIRE(ra.rows() == rb.rows());
    for (std::size_t c = 0; c < schema.size(); ++c) {
      CAPTURE(split);
      CAPTURE(c);
      CHECK(a.get()->children[c]->null_count == b.get()->children[c]->null_count);
      for (int64_t r = 0; r < ra.rows(); ++r) {
        REQUIRE(ra.column(c).is_null(r) == rb.column(c).is_null(r));
        if (ra.column(c).is_null(r)) continue;
        if (c == 0) CHECK(ra.column(c).int_value(r) == rb.column(c).int_value(r));
        if (c == 1) CHECK(ra.column(c).string_value(r) == rb.column(c).string_value(r));
        if (c == 2) CHECK(ra.column(c).bool_value(r) == rb.column(c).bool_value(r));
        if (c == 3) CHECK(ra.column(c).decimal_value(r) == rb.column(c).decimal_value(r));
      }
    }
  }
  Schema other;
  other.fields = {{"i", TypeId::Int32, true}};
  BatchBuilder x(schema), y(other);
  CHECK_THROWS(x.append_rows(y));
}
