#include "event_ids.hpp"

#include <simdjson.h>

#include <algorithm>

namespace ingestd::plugins::webhook {

namespace dom = simdjson::dom;

std::string EventIds::ids_of(const std::vector<std::string>& events, std::vector<std::string>& ids) const {
  dom::parser parser;
  ids.clear();
  for (std::size_t i = 0; i < events.size(); ++i) {
    dom::element e, id;
    if (parser.parse(events[i]).get(e) || dom::object(e).at_key(key_).get(id) || id.is_null())
      return "event " + std::to_string(i + 1) + ": no '" + key_ + "' (dedup_key): every event needs its id";
    ids.push_back(id.is_string() ? std::string(std::string_view(id)) : simdjson::minify(id));
  }
  return {};
}

uint64_t EventIds::take(const std::vector<std::string>& ids, uint64_t batch, std::vector<bool>& fresh) {
  uint64_t wait_for = 0;
  fresh.assign(ids.size(), false);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto [it, added] = batch_of_.try_emplace(ids[i], batch);
    if (added) order_.emplace_back(ids[i], batch);
    fresh[i] = added;
    wait_for = std::max(wait_for, it->second);
  }
  return wait_for;
}

void EventIds::forget(const std::vector<std::string>& ids, const std::vector<bool>& fresh, uint64_t batch) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (fresh[i])
      if (auto it = batch_of_.find(ids[i]); it != batch_of_.end() && it->second == batch) batch_of_.erase(it);
}

void EventIds::trim(uint64_t committed) {
  while (batch_of_.size() > window_ && !order_.empty() && order_.front().second <= committed) {
    auto& [id, batch] = order_.front();
    if (auto it = batch_of_.find(id); it != batch_of_.end() && it->second == batch) batch_of_.erase(it);
    order_.pop_front();
  }
}

}  // namespace ingestd::plugins::webhook
