#include "pgoutput.hpp"

#include <cstdio>
#include <stdexcept>

namespace ingestd::plugins::postgres::pgoutput {

namespace {

// Big-endian reads over a message, each checked against its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  uint8_t byte() { return static_cast<uint8_t>(take(1)[0]); }
  uint16_t u16() { return static_cast<uint16_t>(number(2)); }
  uint32_t u32() { return static_cast<uint32_t>(number(4)); }
  uint64_t u64() { return number(8); }
  // A NUL-terminated string.
  std::string cstring() {
    const std::size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) throw std::runtime_error("a string runs past the end of the message");
    std::string out(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  std::string_view take(std::size_t n) {
    if (n > data_.size() - pos_)
      throw std::runtime_error("the message ends " + std::to_string(n - (data_.size() - pos_)) + " bytes early");
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  uint64_t number(std::size_t bytes) {
    uint64_t v = 0;
    for (unsigned char c : take(bytes)) v = (v << 8) | c;
    return v;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

std::vector<Value> tuple(Reader& r) {
  const uint16_t columns = r.u16();
  std::vector<Value> out(columns);
  for (Value& v : out) {
    switch (r.byte()) {
      case 'n': v.kind = Value::Kind::Null; break;
      case 'u': v.kind = Value::Kind::Unchanged; break;
      case 't': {
        v.kind = Value::Kind::Text;
        const uint32_t length = r.u32();
        v.text = r.take(length);
        break;
      }
      case 'b': throw std::runtime_error("a binary value (ingestd asks for text)");
      default: throw std::runtime_error("an unknown kind of column value");
    }
  }
  return out;
}

}  // namespace

std::string lsn_text(Lsn lsn) {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn & 0xffffffffu));
  return text;
}

std::optional<Lsn> parse_lsn(std::string_view text) {
  unsigned high = 0, low = 0;
  char tail = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%X/%X%c", &high, &low, &tail) != 2) return std::nullopt;
  return (static_cast<Lsn>(high) << 32) | low;
}

Envelope parse_envelope(std::string_view message) {
  Reader r(message);
  Envelope e;
  switch (r.byte()) {
    case 'w':
      e.kind = Envelope::Kind::Data;
      e.wal_start = r.u64();
      e.wal_end = r.u64();
      r.u64();  // the server's send time
      e.payload = message.substr(25);
      return e;
    case 'k':
      e.kind = Envelope::Kind::Keepalive;
      e.wal_end = r.u64();
      r.u64();
      e.reply_requested = r.byte() != 0;
      return e;
    default: throw std::runtime_error("an unknown replication message");
  }
}

std::string status_update(Lsn written, Lsn flushed, int64_t now_us_since_2000, bool reply_requested) {
  std::string out(1, 'r');
  auto put = [&](uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put(written);
  put(flushed);
  put(flushed);  // applied: what is durable is what counts as applied
  put(static_cast<uint64_t>(now_us_since_2000));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

Message parse_message(std::string_view payload) {
  Reader r(payload);
  Message m;
  switch (r.byte()) {
    case 'B':
      m.type = Message::Type::Begin;
      m.final_lsn = r.u64();
      r.u64();  // commit time
      m.xid = r.u32();
      break;
    case 'C':
      m.type = Message::Type::Commit;
      r.byte();  // flags
      m.commit_lsn = r.u64();
      m.end_lsn = r.u64();
      r.u64();
      break;
    case 'R': {
      m.type = Message::Type::Relation;
      m.relation.id = r.u32();
      m.relation.schema = r.cstring();
      m.relation.table = r.cstring();
      m.relation.replica_identity = static_cast<char>(r.byte());
      const uint16_t columns = r.u16();
      for (uint16_t i = 0; i < columns; ++i) {
        Column c;
        c.key = (r.byte() & 1) != 0;
        c.name = r.cstring();
        c.type_oid = r.u32();
        c.type_modifier = static_cast<int32_t>(r.u32());
        m.relation.columns.push_back(std::move(c));
      }
      break;
    }
    case 'I':
      m.type = Message::Type::Insert;
      m.relation_id = r.u32();
      if (r.byte() != 'N') throw std::runtime_error("an insert without its new row");
      m.row = tuple(r);
      break;
    case 'U': {
      m.type = Message::Type::Update;
      m.relation_id = r.u32();
      uint8_t kind = r.byte();
      if (kind == 'K' || kind == 'O') {
        m.old_row = tuple(r);
        m.has_old_row = true;
        kind = r.byte();
      }
      if (kind != 'N') throw std::runtime_error("an update without its new row");
      m.row = tuple(r);
      break;
    }
    case 'D': {
      m.type = Message::Type::Delete;
      m.relation_id = r.u32();
      const uint8_t kind = r.byte();
      if (kind != 'K' && kind != 'O') throw std::runtime_error("a delete without the deleted row's key");
      m.old_row = tuple(r);
      m.has_old_row = true;
      break;
    }
    case 'T': {
      m.type = Message::Type::Truncate;
      const uint32_t relations = r.u32();
      r.byte();  // options (CASCADE, RESTART IDENTITY)
      for (uint32_t i = 0; i < relations; ++i) m.truncated.push_back(r.u32());
      break;
    }
    default: m.type = Message::Type::Other; return m;  // Origin, Type, Message: nothing ingestd uses
  }
  if (!r.done()) throw std::runtime_error("the message has bytes past its end");
  return m;
}

}  // namespace ingestd::plugins::postgres::pgoutput
