#include "event_body.hpp"

#include <simdjson.h>

namespace ingestd::plugins::webhook {

namespace dom = simdjson::dom;

std::string split_events(const std::string& body, std::vector<std::string>& out) {
  dom::parser parser;
  dom::element doc;
  if (!parser.parse(body).get(doc)) {
    if (doc.type() == dom::element_type::OBJECT) {
      out.push_back(simdjson::minify(doc));
      return {};
    }
    if (doc.type() == dom::element_type::ARRAY) {
      std::size_t i = 0;
      for (dom::element e : dom::array(doc)) {
        ++i;
        if (e.type() != dom::element_type::OBJECT) return "element " + std::to_string(i) + " is not a JSON object";
        out.push_back(simdjson::minify(e));
      }
      // An empty array would wait for a commit of nothing until ack_timeout.
      return out.empty() ? "no events in the body (an empty array)" : "";
    }
    return "expected a JSON object, an array of objects, or one object per line";
  }
  std::size_t start = 0, line = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    ++line;
    std::string_view text(body.data() + start, end - start);
    start = end + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    dom::element e;
    if (auto err = parser.parse(text.data(), text.size()).get(e))
      return "line " + std::to_string(line) + ": malformed JSON: " + simdjson::error_message(err);
    if (e.type() != dom::element_type::OBJECT) return "line " + std::to_string(line) + ": not a JSON object";
    out.push_back(simdjson::minify(e));
  }
  if (out.empty()) return "no events in the body";
  return {};
}

}  // namespace ingestd::plugins::webhook
