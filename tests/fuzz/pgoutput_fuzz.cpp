// A logical replication message as the server sends it: the envelope, and
// inside XLogData one pgoutput message. Malformed input is refused with an
// exception, never read past its end; what parses keeps its values inside
// the input.
#include "pgoutput.hpp"

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace pg = ingestd::plugins::postgres::pgoutput;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto inside = [&](std::string_view v) {
    if (!v.empty() && (v.data() < input.data() || v.data() + v.size() > input.data() + input.size())) __builtin_trap();
  };
  try {
    const pg::Envelope e = pg::parse_envelope(input);
    inside(e.payload);
  } catch (const std::runtime_error&) {
  }
  try {
    const pg::Message m = pg::parse_message(input);
    for (const auto& v : m.row) inside(v.text);
    for (const auto& v : m.old_row) inside(v.text);
  } catch (const std::runtime_error&) {
  }
  // An LSN read back as written.
  if (const auto lsn = pg::parse_lsn(input))
    if (pg::parse_lsn(pg::lsn_text(*lsn)) != lsn) __builtin_trap();
  return 0;
}
