#include <doctest/doctest.h>

#include <ingestd/sdk/json.hpp>

using ingestd::json::Value;

TEST_CASE("json: parses and writes back every kind of value") {
  Value v = Value::parse(R"({"a":1,"b":-2.5,"c":"x\"y\u00e9\n","d":[true,false,null],"e":{}})");
  CHECK(v["a"].as_int() == 1);
  CHECK(v["b"].as_double() == -2.5);
  CHECK(v["c"].as_string() == "x\"y\xC3\xA9\n");
  CHECK(v["d"].as_array().size() == 3);
  CHECK(v["d"].as_array()[2].is_null());
  CHECK(v["e"].is_object());
  CHECK(v["missing"].is_null());
  CHECK(Value::parse(v.dump()).dump() == v.dump());
  CHECK(v.dump() == R"({"a":1,"b":-2.5,"c":"x\"yé\n","d":[true,false,null],"e":{}})");
}

TEST_CASE("json: keeps member order and surrogate pairs") {
  Value v = Value::parse(R"({"z":1,"a":2,"emoji":"\ud83d\ude00"})");
  CHECK(v.dump() == "{\"z\":1,\"a\":2,\"emoji\":\"\xF0\x9F\x98\x80\"}");
}

TEST_CASE("json: doubles stay doubles: big integers become doubles") {
  CHECK(Value(2.0).dump() == "2.0");
  CHECK(Value::parse("2.0").is_double());
  CHECK(Value::parse("9223372036854775807").as_int() == INT64_MAX);
  CHECK(Value::parse("92233720368547758070").is_double());
}

TEST_CASE("json: malformed text is refused with an offset") {
  CHECK_THROWS_AS(Value::parse("{\"a\":}"), ingestd::json::ParseError);
  CHECK_THROWS_AS(Value::parse("[1,2"), ingestd::json::ParseError);
  CHECK_THROWS_AS(Value::parse("\"\\ud800\""), ingestd::json::ParseError);
  CHECK_THROWS_AS(Value::parse("1 2"), ingestd::json::ParseError);
  try {
    Value::parse("[1, x]");
    FAIL("no error");
  } catch (const ingestd::json::ParseError& e) {
    CHECK(e.offset() == 4);
  }
}

TEST_CASE("json: copies do not share modifications") {
  Value a = Value::parse(R"({"list":[1]})");
  Value b = a;
  b.as_object()["list"].as_array().push_back(Value(2));
  CHECK(a["list"].as_array().size() == 1);
  CHECK(b["list"].as_array().size() == 2);
}

namespace sdk_user {
// A plugin author's view: one using-directive reaches the SDK's JSON too.
using namespace ingestd::sdk;
std::string key_of(const std::string& text) { return json::Value::parse(text)["k"].as_string(); }
}  // namespace sdk_user

TEST_CASE("json: reachable as ingestd::sdk::json, the namespace of the rest of the SDK") {
  CHECK(sdk_user::key_of("{\"k\": \"v\"}") == "v");
  ingestd::sdk::json::Object o;
  o.set("a", ingestd::json::Value(int64_t{1}));
  CHECK(ingestd::json::Value(std::move(o)).dump() == "{\"a\":1}");
}
