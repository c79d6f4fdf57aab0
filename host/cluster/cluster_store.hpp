// The pool's shared tables in the PostgreSQL state store: the workers, with
// their heartbeats and the fingerprint of the flow file they run, and the
// units of work, one per (flow, stream), each with its holder, the epoch of
// that holding, when it expires and when it is next due. Times come from the
// server's clock, so the workers' hosts need not agree.
#pragma once

#include "state/state_store.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

namespace kit::pg {
class Connection;
}

// A worker with another flow file than the live workers of the pool.
class ClusterRefusedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClusterWorkerInfo {
  std::string worker_id, host;
  int64_t pid = 0;
  std::string fingerprint;
  std::string started_at, heartbeat_at;  // RFC 3339, UTC
  bool live = false;                     // heartbeat within the lease ttl
};

struct ClusterUnitInfo {
  std::string flow, stream;
  std::string owner;  // worker id of the last holder ("" if never claimed)
  int64_t epoch = 0;
  bool held = false;  // unexpired
  std::string expires_at, last_run_at, last_status, last_run_id, next_due_at;  // RFC 3339, "" when none
  int64_t failures = 0;  // failed runs in a row
};

// A unit this worker claimed: its holding, when it was due and the server's
// time at the claim (Unix seconds).
struct ClaimedUnit {
  LeaseFence fence;
  double due = 0;
  double now = 0;
  int64_t failures = 0;
};

// Thread-safe: one connection, used by one statement at a time.
class ClusterStore {
 public:
  ClusterStore(const std::string& dsn, const std::string& schema);
  ~ClusterStore();
  ClusterStore(const ClusterStore&) = delete;
  ClusterStore& operator=(const ClusterStore&) = delete;

  // Registers `me`; throws ClusterRefusedError when a live worker runs a flow
  // file with another fingerprint (checked under a lock, so two workers
  // with different files cannot join at once).
  void join(const ClusterWorkerInfo& me, int ttl_seconds);
  struct Pool {
    int64_t live_workers = 0;
    bool agreed = false;  // every live worker runs the same flow file as this one
    bool registered = true;  // false: this worker's row is gone (removed as long dead); join again
  };
  // Refreshes this worker's heartbeat (and fingerprint, after a reload).
  Pool heartbeat(const std::string& worker_id, const std::string& fingerprint, int ttl_seconds);
  // Ends this worker's holdings (its units are claimable at once) and removes it.
  void leave(const std::string& worker_id);

  // Makes the units table hold the flow file's units. A flow mapped to
  // nullopt could not list its streams now: its units are left as they are.
  // Units of flows or streams no longer there are removed unless held. New
  // units are due at `first_due` (per flow; Unix seconds, nullopt: now).
  void sync_units(const std::map<std::string, std::optional<std::vector<std::string>>>& streams_by_flow,
                  const std::map<std::string, std::optional<double>>& first_due);

  // Claims up to `limit` due units nobody holds (expired holdings count as
  // none), the longest due first, for `ttl_seconds`: one statement, which
  // passes over rows another worker is claiming (SKIP LOCKED) rather than
  // waiting for them. Epochs go past the flow's lease epoch too, so that the
  // generations of a pool's runs are newer than those of the runs before it
  // took the flow file over (pump/runner.cpp: generation_floor).
  std::vector<ClaimedUnit> claim(const std::string& worker_id, int limit, int ttl_seconds);
  // Extends a holding; false when it has passed to another worker since (or
  // ended), which must stop that unit at once.
  bool renew(const LeaseFence& unit, int ttl_seconds);
  // Ends a holding after its run: records the outcome and when the unit is
  // due next (Unix seconds; nullopt: never again unless triggered).
  void finish(const LeaseFence& unit, const std::string& status, const std::string& run_id,
              std::optional<double> next_due, bool failed);
  // Makes every unit of `flow` due now; false when it has none.
  bool trigger(const std::string& flow);

  // For a command that must not overlap the pool's runs of a flow (`state
  // reset`): holds the units of `flow` (of `stream` only, when given) as
  // `holder` under a new epoch, so no worker claims them and a worker paused
  // with an older holding cannot save over the command. Holds nothing and
  // returns the units workers hold now ("flow/stream (worker)") when there
  // are any. The holding ends at release_units or after `ttl_seconds`.
  std::vector<std::string> hold_units(const std::string& flow, const std::optional<std::string>& stream,
                                      const std::string& holder, int ttl_seconds);
  void release_units(const std::string& holder);
  // Seconds since the Unix epoch by the server's clock.
  double now();

  std::vector<ClusterWorkerInfo> workers(int ttl_seconds);
  std::vector<ClusterUnitInfo> units();
  int64_t unit_count();

  // Statements sent so far (coordination overhead).
  int64_t queries() const { return queries_.load(); }

 private:
  class Session;
  static void create_tables(Session& s, const std::string& schema);
  std::unique_ptr<Session> session_;
  std::mutex mutex_;
  std::atomic<int64_t> queries_{0};
};

// The fingerprint of a flow file as a pool compares it: every flow's
// definition with its source's and destinations' plugins and options.
std::string flow_file_fingerprint(const std::map<std::string, std::string>& definitions);

}  // namespace ingestd
