#include "message.hpp"

namespace ingestd::plugins::singer {

namespace dom = simdjson::dom;

Message decode_message(std::string_view line, dom::parser& parser, bool padded) {
  dom::element msg;
  if (parser.parse(line.data(), line.size(), !padded).get(msg) || !msg.is_object()) throw MalformedMessage("not a JSON object");
  std::string_view type, stream;
  if (msg["type"].get(type)) throw MalformedMessage("no \"type\"");
  if (msg["stream"].get(stream)) stream = {};
  Message m;
  m.stream = std::string(stream);
  if (type == "RECORD") {
    if (msg["record"].get(m.record)) throw MalformedMessage("RECORD without a \"record\" object");
    m.type = Message::Type::Record;
  } else if (type == "STATE") {
    dom::element value;
    if (msg["value"].get(value)) throw MalformedMessage("STATE without a \"value\"");
    m.type = Message::Type::State;
    m.json = simdjson::minify(value);
  } else if (type == "SCHEMA") {
    dom::element schema;
    if (msg["schema"].get(schema)) throw MalformedMessage("SCHEMA without a \"schema\"");
    m.type = Message::Type::Schema;
    m.json = simdjson::minify(schema);
  } else if (type == "ACTIVATE_VERSION") {
    m.type = Message::Type::ActivateVersion;
  }
  return m;  // BATCH, and types newer than this reader: Other
}

}  // namespace ingestd::plugins::singer
