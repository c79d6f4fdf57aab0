// Optional dedup on an event id (`dedup_key`): a producer's retry of events
// already taken is answered 200 without loading them again, for appends,
// where no merge absorbs repeats. The last `window` ids are remembered in
// memory, each with the batch it went into, so that a retry arriving before
// that batch is committed waits for the same commit.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace ingestd::plugins::webhook {

class EventIds {
 public:
  EventIds(std::string key, std::size_t window) : key_(std::move(key)), window_(window) {}

  // The ids of a request's events (their key's value as JSON text); "" when
  // all have one, else why the first does not.
  std::string ids_of(const std::vector<std::string>& events, std::vector<std::string>& ids) const;

  // Not thread-safe: the intake calls these under its lock.
  // Marks the ids as going into `batch`; `fresh[i]` says whether event i is
  // new. Returns the batch whose commit the request waits for.
  uint64_t take(const std::vector<std::string>& ids, uint64_t batch, std::vector<bool>& fresh);
  // The batch never committed: its events may come again.
  void forget(const std::vector<std::string>& ids, const std::vector<bool>& fresh, uint64_t batch);
  // Ids of batches up to `committed` may leave once over the window.
  void trim(uint64_t committed);

 private:
  std::string key_;
  std::size_t window_;
  std::unordered_map<std::string, uint64_t> batch_of_;
  std::deque<std::pair<std::string, uint64_t>> order_;
};

}  // namespace ingestd::plugins::webhook
