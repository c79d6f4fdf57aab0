// Where checkpoints and run history live between runs. A checkpoint is saved
// only after every destination committed the data before it (the pump
// guarantees that); the store makes each save durable and atomic.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ingestd {

struct FlowFile;
class KeySketch;

// A state store that could not be read or written; transient when a retry
// may succeed (a server restarting, a lock another process holds).
class StateStoreError : public std::runtime_error {
 public:
  StateStoreError(const std::string& message, bool transient) : std::runtime_error(message), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

struct CheckpointRecord {
  std::string flow;
  std::string stream;
  std::string destination;
  std::string checkpoint;
  int64_t generation = 0;  // grows with every save of the stream
  std::string run_id;
  std::string saved_at;    // RFC 3339, UTC
};

struct RunStreamRecord {
  std::string flow;
  std::string stream;
  std::string destination;
  int64_t rows = 0;
  int64_t bytes = 0;
  double seconds = 0;
  std::string status;
  std::string error;
  std::string counters = "{}";  // JSON: {"stream": {name: n}, "destination": {name: n}}
  std::string columns = "[]";   // JSON: [{"name", "type"}], the stream as its source delivered it; [] when unknown
  std::string flags = "[]";     // JSON: [{"kind", "message"}], what the run's checks found odd (volume, schema drift)
};

struct RunRecord {
  std::string run_id;
  std::string flow_file;  // absolute
  std::string started_at;
  std::string ended_at;  // empty while running
  std::string status;    // running | ok | failed | stopped | interrupted
  std::string error;
  std::vector<RunStreamRecord> streams;
};

// Who holds a lease: the run, its process and host, since when (RFC 3339).
struct LeaseHolder {
  std::string owner;  // run id
  int64_t pid = 0;
  std::string host;
  std::string since;
};

// One holding of a lease: saves made under it are refused once it is over.
// A flow's lease (leases table) or, with `stream`, a cluster worker's unit
// (cluster_units table, PostgreSQL only: cluster/cluster_store.hpp).
struct LeaseFence {
  std::string name;
  std::string owner;
  int64_t epoch = 0;
  std::string stream;
};

// A save refused because its lease has passed to another holder.
class LeaseLostError : public StateStoreError {
 public:
  explicit LeaseLostError(const LeaseFence& fence)
      : StateStoreError(fence.stream.empty()
                            ? "flow " + fence.name + ": its lease passed to another run (this run held epoch " +
                                  std::to_string(fence.epoch) + "); the checkpoint was not saved"
                            : fence.name + "/" + fence.stream + ": the unit passed to another worker (this one held epoch " +
                                  std::to_string(fence.epoch) + "); the checkpoint was not saved",
                        false) {}
};

// Thread-safe: writers of several streams save at once.
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Saved checkpoints, of one flow (and stream) or of all.
  virtual std::vector<CheckpointRecord> checkpoints(const std::optional<std::string>& flow,
                                                    const std::optional<std::string>& stream) = 0;
  // Saves the checkpoint of a stream for all its destinations in one
  // transaction, durably, before returning. With a fence, only while that
  // holding of the lease is the current one (checked in the same
  // transaction); otherwise nothing is saved and LeaseLostError is thrown: a
  // run paused past its lease cannot move state back behind a newer holder.
  virtual void save(const std::string& flow, const std::string& stream, const std::vector<std::string>& destinations,
                    const std::string& checkpoint, int64_t generation, const std::string& run_id,
                    const LeaseFence* fence = nullptr) = 0;
  // Forgets the checkpoints of a flow (or one stream of it); returns how many.
  virtual int64_t reset(const std::string& flow, const std::optional<std::string>& stream) = 0;

  virtual void begin_run(const RunRecord& run) = 0;
  // Records the outcome, with per-stream and per-destination figures.
  virtual void end_run(const RunRecord& run) = 0;
  // The newest runs first; of one flow file (its absolute path) or of all.
  virtual std::vector<RunRecord> runs(int limit, const std::optional<std::string>& flow_file) = 0;
  // The newest runs that read streams of `flow` (of any flow file), each
  // with only that flow's streams. A run the flow failed before reading any
  // stream is not among them.
  virtual std::vector<RunRecord> flow_runs(const std::string& flow, int limit) = 0;

  // Active rows: the keys a flow's stream delivered in a calendar month
  // ("2026-12"), merged into the month's sketch.
  virtual void merge_key_sketch(const std::string& flow, const std::string& stream, const std::string& month,
                                const KeySketch& keys) = 0;
  struct TouchedKeys {
    std::string flow, stream, month;
    int64_t keys = 0;  // distinct
    bool exact = true;  // false: estimated
  };
  // Per flow, stream and month (of one month when given), oldest first.
  virtual std::vector<TouchedKeys> touched_keys(const std::optional<std::string>& month) = 0;

  // Leases: one run at a time holds a name (a flow). Takes `name` for
  // `me.owner` until `ttl_seconds` from now (the store's clock) unless
  // another owner holds it unexpired; returns the lease's epoch when `me`
  // holds it afterwards. The epoch grows each time the lease changes hands
  // (never when its holder claims it again), so (owner, epoch) names one
  // holding of it.
  virtual std::optional<int64_t> claim_lease(const std::string& name, const LeaseHolder& me, int ttl_seconds) = 0;
  // Extends the holding `owner` has at `epoch`; false when the lease has
  // passed to another holding since, which must stop at once.
  virtual bool renew_lease(const std::string& name, const std::string& owner, int64_t epoch, int ttl_seconds) = 0;
  virtual std::optional<LeaseHolder> lease_holder(const std::string& name) = 0;
  // Ends the lease if `owner` holds it (its epoch stays, for the next holder
  // to go past).
  virtual void release_lease(const std::string& name, const std::string& owner) = 0;

  // The catalog a source's last discover returned (JSON, see
  // pump/catalog_cache.hpp), kept with the fingerprint of the source's
  // settings it was discovered with; nullopt when none is kept.
  struct KeptCatalog {
    std::string fingerprint, catalog, saved_at;
  };
  virtual std::optional<KeptCatalog> kept_catalog(const std::string& source) = 0;
  virtual void keep_catalog(const std::string& source, const std::string& fingerprint, const std::string& catalog) = 0;
  virtual void forget_catalog(const std::string& source) = 0;

  // Where it lives, for messages.
  virtual std::string describe() const = 0;
};

// Opens the store a flow file's [state] names: SQLite (`path`, default
// .ingestd/state.db beside the flow file) or PostgreSQL (`dsn`, `schema`),
// creating its tables on first use. Throws ConfigError when it cannot.
std::unique_ptr<StateStore> open_state_store(const FlowFile& flows);

std::unique_ptr<StateStore> open_sqlite_state_store(const std::string& path);
// Several ingestd processes may share one: saves are transactions.
std::unique_ptr<StateStore> open_postgres_state_store(const std::string& dsn, const std::string& schema);

}  // namespace ingestd
