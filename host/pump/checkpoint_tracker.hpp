// Decides when a source checkpoint may be saved: only once every destination
// of the stream has committed the batch that carries it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

class CheckpointTracker {
 public:
  // `save` is called (in order, never concurrently) with each checkpoint
  // that became durable everywhere; it may throw, which fails the caller.
  using SaveFn = std::function<void(uint64_t sequence, const std::string& checkpoint, int64_t generation)>;

  // Checkpoints of this tracker count their generations up from `base_generation`.
  CheckpointTracker(std::size_t destinations, int64_t base_generation, SaveFn save);

  // The reader registers a batch's checkpoint before handing the batch on;
  // returns the checkpoint's generation.
  int64_t add(uint64_t sequence, std::string checkpoint);
  // A destination committed every batch up to `sequence`.
  void committed(std::size_t destination, uint64_t sequence);

  // The newest checkpoint saved so far, with its sequence.
  std::optional<std::pair<uint64_t, std::string>> last_saved() const;

 private:
  mutable std::mutex mutex_;
  std::vector<uint64_t> committed_;
  struct Pending {
    std::string checkpoint;
    int64_t generation;
  };
  std::map<uint64_t, Pending> pending_;
  int64_t generation_;
  std::optional<std::pair<uint64_t, std::string>> saved_;
  SaveFn save_;
};

}  // namespace ingestd
