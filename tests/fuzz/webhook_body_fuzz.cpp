// A webhook request body: split into events (an object, an array of
// objects, one object per line) or refused with a reason.
#include "event_body.hpp"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> events;
  std::string why = ingestd::plugins::webhook::split_events(body, events);
  if (why.empty() && events.empty()) __builtin_trap();  // accepted, yet nothing to store
  return 0;
}
