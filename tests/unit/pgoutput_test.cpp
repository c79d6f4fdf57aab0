// pgoutput messages as PostgreSQL's walsender frames them, read back field
// by field; malformed ones refused.
#include <doctest/doctest.h>

#include "pgoutput.hpp"

#include <stdexcept>
#include <string>

using namespace ingestd::plugins::postgres::pgoutput;

namespace {

std::string be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

std::string text_value(const std::string& v) { return "t" + be(v.size(), 4) + v; }

}  // namespace

TEST_CASE("pgoutput: relations, inserts, updates with a new key and unchanged TOAST, deletes, truncates") {
  const std::string relation = "R" + be(16384, 4) + std::string("public\0t\0", 9) + "d" + be(2, 2) + "\x01" +
                               std::string("id\0", 3) + be(23, 4) + be(0xffffffff, 4) + std::string(1, '\0') +
                               std::string("v\0", 2) + be(25, 4) + be(0xffffffff, 4);
  const Message r = parse_message(relation);
  REQUIRE(r.type == Message::Type::Relation);
  CHECK(r.relation.id == 16384);
  CHECK(r.relation.schema == "public");
  CHECK(r.relation.table == "t");
  REQUIRE(r.relation.columns.size() == 2);
  CHECK(r.relation.columns[0].key);
  CHECK_FALSE(r.relation.columns[1].key);
  CHECK(r.relation.columns[1].type_oid == 25);
  CHECK(r.relation.columns[1].type_modifier == -1);

  const std::string update = "U" + be(16384, 4) + "K" + be(2, 2) + text_value("1") + "n" + "N" + be(2, 2) +
                             text_value("2") + "u";  // the values point into it
  const Message u = parse_message(update);
  REQUIRE(u.type == Message::Type::Update);
  CHECK(u.has_old_row);
  CHECK(u.old_row[0].text == "1");
  CHECK(u.old_row[1].kind == Value::Kind::Null);
  CHECK(u.row[0].text == "2");
  CHECK(u.row[1].kind == Value::Kind::Unchanged);

  const Message c = parse_message("C" + std::string(1, '\0') + be(0x16B374D848, 8) + be(0x16B374D900, 8) + be(0, 8));
  CHECK(c.type == Message::Type::Commit);
  CHECK(lsn_text(c.end_lsn) == "16/B374D900");

  const Message t = parse_message("T" + be(2, 4) + std::string(1, '\0') + be(7, 4) + be(16384, 4));
  CHECK(t.truncated == std::vector<uint32_t>{7, 16384});

  CHECK(parse_lsn("16/B374D848") == 0x16B374D848ull);
  CHECK_FALSE(parse_lsn("16-B374").has_value());
}

TEST_CASE("pgoutput: the envelope, keepalives and the status update a client sends") {
  const Envelope k = parse_envelope("k" + be(0x100, 8) + be(0, 8) + "\x01");
  CHECK(k.kind == Envelope::Kind::Keepalive);
  CHECK(k.wal_end == 0x100);
  CHECK(k.reply_requested);
  const std::string data = "w" + be(1, 8) + be(2, 8) + be(3, 8) + "B";  // the payload points into it
  const Envelope w = parse_envelope(data);
  CHECK(w.kind == Envelope::Kind::Data);
  CHECK(w.payload == "B");
  const std::string s = status_update(0x20, 0x10, 5, true);
  CHECK(s == "r" + be(0x20, 8) + be(0x10, 8) + be(0x10, 8) + be(5, 8) + "\x01");
}

TEST_CASE("pgoutput: cut short, overlong or of unknown kind, a message is refused") {
  auto refused = [](const std::string& m) {
    try {
      parse_message(m);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused("I" + be(1, 4) + "N" + be(1, 2) + "t" + be(100, 4) + "abc") == "the message ends 97 bytes early");
  CHECK(refused("I" + be(1, 4) + "N" + be(1, 2) + "n" + "extra") == "the message has bytes past its end");
  CHECK(refused("I" + be(1, 4) + "X") == "an insert without its new row");
  CHECK(refused("I" + be(1, 4) + "N" + be(1, 2) + "b" + be(1, 4) + "x") == "a binary value (ingestd asks for text)");
  CHECK(parse_message("M").type == Message::Type::Other);
  CHECK_THROWS_AS(parse_envelope("z"), std::runtime_error);
}
