#include <doctest/doctest.h>

#include "pump/checkpoint_tracker.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

using namespace ingestd;

TEST_CASE("checkpoints: saved only once every destination committed them") {
  std::vector<std::pair<uint64_t, std::string>> saved;
  CheckpointTracker t(2, 0, [&](uint64_t seq, const std::string& cp, int64_t) { saved.emplace_back(seq, cp); });
  t.add(2, "after-2");
  t.add(4, "after-4");
  t.committed(0, 4);  // the first destination is ahead
  CHECK(saved.empty());
  t.committed(1, 3);  // the second has 2 but not 4
  REQUIRE(saved.size() == 1);
  CHECK(saved[0] == std::make_pair(uint64_t{2}, std::string("after-2")));
  t.committed(1, 4);
  REQUIRE(saved.size() == 2);
  CHECK(saved[1].second == "after-4");
  CHECK(t.last_saved()->first == 4);
}

TEST_CASE("checkpoints: a commit between checkpoints saves the newest one covered") {
  std::vector<uint64_t> saved;
  CheckpointTracker t(1, 0, [&](uint64_t seq, const std::string&, int64_t) { saved.push_back(seq); });
  t.add(1, "a");
  t.add(2, "b");
  t.add(3, "c");
  t.committed(0, 5);
  CHECK(saved == std::vector<uint64_t>{3});  // one save for all of them, the newest
}

TEST_CASE("checkpoints: a failing save propagates and keeps the checkpoint pending") {
  int calls = 0;
  CheckpointTracker t(1, 0, [&](uint64_t, const std::string&, int64_t) {
    if (++calls == 1) throw std::runtime_error("state store down");
  });
  t.add(1, "a");
  CHECK_THROWS_AS(t.committed(0, 1), std::runtime_error);
  CHECK_FALSE(t.last_saved().has_value());
  t.committed(0, 1);
  CHECK(t.last_saved()->second == "a");
}

TEST_CASE("checkpoints: generations count up from the base, one per checkpoint, and travel to the save") {
  std::vector<int64_t> saved;
  CheckpointTracker t(1, 41, [&](uint64_t, const std::string&, int64_t generation) { saved.push_back(generation); });
  CHECK(t.add(3, "a") == 42);
  CHECK(t.add(7, "b") == 43);
  t.committed(0, 3);
  t.committed(0, 7);
  CHECK(saved == std::vector<int64_t>{42, 43});
}
