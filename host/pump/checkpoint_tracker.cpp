#include "pump/checkpoint_tracker.hpp"

#include <algorithm>

namespace ingestd {

CheckpointTracker::CheckpointTracker(std::size_t destinations, int64_t base_generation, SaveFn save)
    : committed_(destinations, 0), generation_(base_generation), save_(std::move(save)) {}

int64_t CheckpointTracker::add(uint64_t sequence, std::string checkpoint) {
  std::lock_guard lock(mutex_);
  pending_[sequence] = Pending{std::move(checkpoint), ++generation_};
  return generation_;
}

void CheckpointTracker::committed(std::size_t destination, uint64_t sequence) {
  std::lock_guard lock(mutex_);
  committed_[destination] = std::max(committed_[destination], sequence);
  const uint64_t everywhere = *std::min_element(committed_.begin(), committed_.end());
  // The newest checkpoint at or before what every destination has committed.
  auto it = pending_.upper_bound(everywhere);
  if (it == pending_.begin()) return;
  --it;
  if (save_) save_(it->first, it->second.checkpoint, it->second.generation);
  saved_ = std::make_pair(it->first, it->second.checkpoint);
  pending_.erase(pending_.begin(), std::next(it));
}

std::optional<std::pair<uint64_t, std::string>> CheckpointTracker::last_saved() const {
  std::lock_guard lock(mutex_);
  return saved_;
}

}  // namespace ingestd
