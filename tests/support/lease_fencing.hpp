// The lease and fencing contract every state store keeps, checked against a
// real one: epochs grow with each change of hands, a renewal or save under
// an ended holding is refused, and a refused save changes nothing.
#pragma once

#include "state/state_store.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>

namespace testing {

// `expire(name)` makes the lease of `name` run out now, as time would.
inline void check_lease_fencing(ingestd::StateStore& store, const std::function<void(const std::string&)>& expire) {
  using ingestd::LeaseFence;
  const ingestd::LeaseHolder a{"run-a", 101, "host-a", "2026-12-07T10:00:00Z"};
  const ingestd::LeaseHolder b{"run-b", 202, "host-b", "2026-12-07T10:01:00Z"};
  const std::vector<std::string> dests{"dst"};

  const auto a_epoch = store.claim_lease("f", a, 60);
  REQUIRE(a_epoch);
  CHECK(*a_epoch == 1);
  CHECK(store.claim_lease("f", a, 60) == a_epoch);  // claimed again by its holder: the same holding
  CHECK_FALSE(store.claim_lease("f", b, 60));       // held, unexpired
  CHECK(store.renew_lease("f", "run-a", *a_epoch, 60));
  const LeaseFence fence_a{"f", "run-a", *a_epoch, ""};
  store.save("f", "s", dests, "from-a-1", 1, "run-a", &fence_a);

  // A pauses past its lease; B takes the flow over and saves.
  expire("f");
  const auto b_epoch = store.claim_lease("f", b, 60);
  REQUIRE(b_epoch);
  CHECK(*b_epoch == *a_epoch + 1);
  const LeaseFence fence_b{"f", "run-b", *b_epoch, ""};
  store.save("f", "s", dests, "from-b-2", 2, "run-b", &fence_b);

  // A wakes up: its renewal and its save are refused, and nothing changed.
  CHECK_FALSE(store.renew_lease("f", "run-a", *a_epoch, 60));
  CHECK_THROWS_AS(store.save("f", "s", dests, "from-a-late", 3, "run-a", &fence_a), ingestd::LeaseLostError);
  try {
    store.save("f", "s", dests, "from-a-late", 3, "run-a", &fence_a);
  } catch (const ingestd::LeaseLostError& e) {
    CHECK(std::string(e.what()).find("flow f: its lease passed to another run") != std::string::npos);
    CHECK_FALSE(e.transient());
  }
  auto saved = store.checkpoints(std::string("f"), std::string("s"));
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].checkpoint == "from-b-2");
  CHECK(saved[0].generation == 2);
  CHECK(saved[0].run_id == "run-b");
  // Nor does a claim by A's run id bring its old holding back.
  CHECK_FALSE(store.claim_lease("f", a, 60));

  // Released, the lease goes on counting: the next holder is past both.
  store.release_lease("f", "run-b");
  CHECK_FALSE(store.lease_holder("f"));
  const auto again = store.claim_lease("f", a, 60);
  REQUIRE(again);
  CHECK(*again == *b_epoch + 1);
  CHECK_THROWS_AS(store.save("f", "s", dests, "from-a-old", 5, "run-a", &fence_a), ingestd::LeaseLostError);
  const LeaseFence fence_again{"f", "run-a", *again, ""};
  store.save("f", "s", dests, "from-a-3", 5, "run-a", &fence_again);
  CHECK(store.checkpoints(std::string("f"), std::string("s"))[0].checkpoint == "from-a-3");
  // A save without a fence (state set by hand) is not fenced.
  store.save("f", "s", dests, "by-hand", 6, "manual");
  CHECK(store.checkpoints(std::string("f"), std::string("s"))[0].checkpoint == "by-hand");
}

}  // namespace testing
