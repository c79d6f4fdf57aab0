// What an event must be before its request is answered 200: a producer that
// got 200 forgets the event, so nothing may drop it later, and no event may
// stop the stream for everyone (keys that collide when a destination folds
// case, an empty key, a thousand new columns, a value not of its declared type).
#pragma once

#include <ingestd/kit/typing/columns.hpp>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ingestd::plugins::webhook {

class EventCheck {
 public:
  EventCheck(std::vector<kit::typing::DeclaredColumn> declared, int64_t max_columns);

  // Checks the events of one request; "" admits them all (their new keys are
  // columns from then on), otherwise why the first bad one is refused
  // ("event 2: ..."). Callable from any request thread.
  std::string admit(const std::vector<std::string>& events);

 private:
  std::string check_types(const std::string& event) const;

  const std::vector<kit::typing::DeclaredColumn> declared_;
  const int64_t max_columns_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> known_;  // lower-cased -> as first seen
};

}  // namespace ingestd::plugins::webhook
