#include "serve/serve_service.hpp"

#include "state/state_store.hpp"

namespace ingestd {

json::Value last_reload_json(const std::optional<ReloadRecord>& last) {
  if (!last) return json::Value();
  json::Object r;
  r.set("ok", json::Value(last->ok));
  r.set("at", json::Value(last->at));
  r.set(last->ok ? "message" : "error", json::Value(last->message));
  return json::Value(std::move(r));
}

bool state_store_answers(StateStore& store, std::string& why) {
  try {
    store.runs(1, std::nullopt);
    return true;
  } catch (const std::exception& e) {
    why = std::string("the state store does not answer: ") + e.what();
    return false;
  }
}

}  // namespace ingestd
