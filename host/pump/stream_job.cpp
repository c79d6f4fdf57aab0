#include "pump/stream_job.hpp"

#include "log/logging.hpp"
#include "monitor/columns.hpp"
#include "monitor/touched_keys.hpp"
#include "pump/stream_control.hpp"
#include "pump/transform_chain.hpp"

#include <deque>
#include <thread>

namespace ingestd {

namespace {

class SlotGuard {
 public:
  explicit SlotGuard(Semaphore* s) : s_(s) {
    if (s_) s_->acquire();
  }
  ~SlotGuard() {
    if (s_) s_->release();
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  Semaphore* s_;
};

// Thrown through a destination's commit when the state store refused the
// checkpoint that commit made durable: the stream's failure, not the table's.
struct CheckpointNotSaved {};

struct Lane {
  Lane(int64_t max_batches, int64_t max_bytes) : queue(max_batches, max_bytes) {}
  std::size_t index = 0;
  PluginInstance* destination = nullptr;
  Semaphore* slots = nullptr;
  LaneStats* stats = nullptr;
  BoundedQueue<BatchPtr> queue;
  std::thread thread;
  std::optional<Failure> failure;  // written by the lane's thread, read after join

  // What the queue holds now, for gauges read while the lane runs.
  void note_queue_size() {
    stats->queued_batches = queue.size();
    stats->queued_bytes = queue.bytes();
  }
};

// Shared by the reader and the writers of one attempt.
struct Attempt {
  const StreamJob* job;
  StreamControl* control;
  // The schema tables open with; held here because the stream replaces its
  // own when the source changes schema, possibly before a writer opens.
  std::shared_ptr<sdk::OwnedSchema> initial_schema;
  CheckpointTracker* tracker = nullptr;
  std::vector<std::unique_ptr<Lane>>* lanes = nullptr;
  std::atomic<bool> read_complete{false};  // the source reached its end

  std::mutex mutex;  // guards the members below
  std::optional<Failure> save_failure;
  std::optional<SavedCheckpoint> saved;
  // Key hashes of batches read and not yet covered by a saved checkpoint.
  std::deque<std::pair<uint64_t, std::vector<uint64_t>>> touched;

  // A part failed: everyone stops.
  void abort_all() {
    control->abort();
    for (auto& l : *lanes) l->queue.abort();
  }
};

void write_lane(Lane& lane, Attempt& at) {
  const StreamJob& job = *at.job;
  LaneStats& ls = *lane.stats;
  ingestd_host_context* context = at.control->table_context(lane.index);
  SlotGuard slot(lane.slots);
  std::unique_ptr<OpenTable> table;
  uint64_t written = 0, committed = 0;
  const bool stores_state = lane.destination->stores_state();
  auto commit = [&](uint64_t sequence, const RecordBatch* with_checkpoint) {
    // A destination that stores state commits the checkpoint with the data.
    if (stores_state && with_checkpoint)
      table->commit_with_state(sequence, job.state_key, *with_checkpoint->checkpoint, with_checkpoint->generation);
    else
      table->commit(sequence);
    committed = sequence;
    ls.committed_sequence = sequence;
    at.tracker->committed(lane.index, sequence);
  };
  auto open = [&](const ArrowSchema* schema) {
    TableOpenRequest req;
    req.stream = job.stream;
    req.table = job.table;
    req.load_mode = job.settings->load_mode;
    req.primary_key = job.primary_key;
    req.cursor_field = job.settings->cursor_field;
    req.schema = schema;
    req.run_id = job.run_id;
    req.settings = job.settings->tables;
    req.context = context;
    table = lane.destination->open_table(req);
  };
  // A stream that opens without columns (an incremental read with nothing
  // new cannot know them) says nothing about the table: it is opened with the
  // first batch's schema, or not at all, and keeps its columns as they are.
  const bool schema_known = at.initial_schema->get()->n_children > 0;
  try {
    if (schema_known) open(at.initial_schema->get());
    while (auto item = lane.queue.pop()) {
      lane.note_queue_size();
      const RecordBatch& b = **item;
      if (!table) {
        const ArrowSchema* schema = b.schema_change ? b.schema_change->get() : at.initial_schema->get();
        if (b.rows == 0 && schema->n_children == 0) {
          // Still nothing known (an empty file read): nothing to write, so
          // its checkpoint is as good as committed here.
          written = committed = b.sequence;
          ls.committed_sequence = b.sequence;
          if (b.checkpoint) at.tracker->committed(lane.index, b.sequence);
          continue;
        }
        open(schema);
      }
      table->write(b);
      written = b.sequence;
      ls.rows += b.rows;
      ls.bytes += b.bytes;
      ls.batches += 1;
      if (b.checkpoint) commit(written, &b);
    }
    if (at.control->aborted()) {
      if (table) table->close(false);
      return;
    }
    if (!table) return;  // no columns and no rows: nothing to load
    // The queue closed: the stream ended or was stopped. Commit what arrived;
    // the load is complete only if the source reached its end.
    if (written > committed) commit(written, nullptr);
    table->close(at.read_complete.load());
  } catch (const CheckpointNotSaved&) {
    // Recorded as the stream's failure by the save; everyone is stopping.
  } catch (const std::exception& e) {
    lane.failure = failure_of(e);
    log::write(log::Level::Error, context->component, e.what(), {context->flow, context->stream, context->destination});
    at.abort_all();
  }
}

std::unique_ptr<OpenStream> open_source_stream(const StreamJob& job, StreamControl& control) {
  StreamOpenRequest req;
  req.index = job.index;
  req.stream = job.stream;
  req.extract_mode = job.settings->extract_mode;
  req.cursor_field = job.settings->cursor_field;
  req.primary_key = job.primary_key;
  req.state = job.state;
  req.batch_rows = job.flow->def->batch_rows;
  req.settings = job.settings->source;
  req.settings.flow = job.flow->def->name;
  req.settings.follow = job.follow;
  req.settings.catalog_entry = job.catalog_entry;
  req.context = control.stream_context();
  return job.source->open_stream(req);
}

// Reads the stream into every lane until its end, a stop or a failure.
// Returns false when the reading stopped on request.
bool read_into_lanes(const StreamJob& job, OpenStream& stream, TransformChain* transforms, Attempt& at,
                     StreamStats& stats) {
  uint64_t sequence = 0;
  // A checkpoint equal to the one before it (a connector repeating its state
  // when nothing is new) is no new state: not saved again, so an idle run
  // leaves the state as it was. Sources that wait for acknowledgements get
  // every checkpoint.
  const bool dedupe_checkpoints = !job.source->plugin().checkpoint_saved;
  std::optional<std::string> last_checkpoint = job.state;
  for (;;) {
    if (at.control->aborted()) return true;
    if (at.control->source_cancelled()) return false;
    RecordBatch batch;
    if (!stream.next(batch)) {
      at.read_complete = true;
      return true;
    }
    if (transforms) transforms->apply(batch);
    if (dedupe_checkpoints && batch.checkpoint) {
      if (batch.checkpoint == last_checkpoint) batch.checkpoint.reset();
      else last_checkpoint = batch.checkpoint;
    }
    if (batch.rows == 0 && !batch.checkpoint && !batch.schema_change) continue;
    batch.sequence = ++sequence;
    if (batch.checkpoint) batch.generation = at.tracker->add(batch.sequence, *batch.checkpoint);
    if (job.touched) {
      std::vector<uint64_t> hashes = key_hashes(batch, job.primary_key);
      std::lock_guard lock(at.mutex);
      if (!hashes.empty()) at.touched.emplace_back(batch.sequence, std::move(hashes));
    }
    stats.rows += batch.rows;
    stats.bytes += batch.bytes;
    stats.batches += 1;
    BatchPtr shared = std::make_shared<const RecordBatch>(std::move(batch));
    bool delivered = true;
    for (auto& lane : *at.lanes) {
      delivered = lane->queue.push(shared, shared->bytes) && delivered;
      lane->note_queue_size();
    }
    if (!delivered) return true;  // a lane aborted
  }
}

}  // namespace

StreamOutcome run_stream_job(const StreamJob& job, StreamStats& stats) {
  StreamOutcome outcome(job.destinations.size());
  StreamControl control(stats, job.run_cancelled);
  bool stopped = false;
  // The source's failure; a cancelled read is a stop, not a failure.
  auto source_failed = [&](const std::exception& e) {
    const auto* pe = dynamic_cast<const sdk::Error*>(&e);
    if ((pe && pe->is_cancelled()) || control.source_cancelled()) {
      stopped = true;
      return;
    }
    outcome.stream_failure = failure_of(e);
    const ingestd_host_context& c = *control.stream_context();
    log::write(log::Level::Error, c.component, e.what(), {c.flow, c.stream, {}});
  };

  SlotGuard source_slot(job.source_slots);
  std::unique_ptr<OpenStream> stream;
  try {
    stream = open_source_stream(job, control);
  } catch (const std::exception& e) {
    source_failed(e);
    outcome.status = outcome.stream_failure ? StreamStatus::Failed : StreamStatus::Stopped;
    return outcome;
  }

  // Opened on the stream thread, like the stream, before any writer starts.
  std::unique_ptr<TransformChain> transforms;
  if (!job.transforms.empty()) {
    try {
      TransformOpenRequest req;
      req.stream = job.stream;
      req.schema = stream->schema();
      req.run_id = job.run_id;
      req.sync_time_us = job.sync_time_us;
      req.context = control.stream_context();
      transforms = std::make_unique<TransformChain>(job.transforms, req);
      if (job.settings->load_mode == INGESTD_LOAD_MERGE)
        check_keys_kept(*transforms->schema(), job.primary_key, job.stream);
    } catch (const std::exception& e) {
      source_failed(e);
      outcome.status = outcome.stream_failure ? StreamStatus::Failed : StreamStatus::Stopped;
      return outcome;
    }
  }

  std::vector<std::unique_ptr<Lane>> lanes;
  const FlowDef& flow = *job.flow->def;
  for (std::size_t i = 0; i < job.destinations.size(); ++i) {
    auto lane = std::make_unique<Lane>(flow.queue.max_batches, flow.queue.max_bytes);
    lane->index = i;
    lane->destination = job.destinations[i];
    lane->slots = job.destination_slots.empty() ? nullptr : job.destination_slots[i];
    lane->stats = stats.lanes.at(i).get();
    lanes.push_back(std::move(lane));
  }

  Attempt at;
  CheckpointTracker tracker(lanes.size(), job.base_generation,
                            [&](uint64_t sequence, const std::string& checkpoint, int64_t generation) {
                              try {
                                if (job.save) job.save(sequence, checkpoint, generation);
                              } catch (const std::exception& e) {
                                // Data committed, state not saved: the stream failed, whichever
                                // destination's commit got here first.
                                {
                                  std::lock_guard lock(at.mutex);
                                  if (!at.save_failure) at.save_failure = failure_of(e);
                                }
                                const ingestd_host_context& c = *control.stream_context();
                                log::write(log::Level::Error, c.component, e.what(), {c.flow, c.stream, {}});
                                at.abort_all();
                                throw CheckpointNotSaved{};
                              }
                              stream->checkpoint_saved(checkpoint);
                              std::vector<uint64_t> covered;
                              {
                                std::lock_guard lock(at.mutex);
                                at.saved = SavedCheckpoint{sequence, checkpoint, generation};
                                while (!at.touched.empty() && at.touched.front().first <= sequence) {
                                  auto& hashes = at.touched.front().second;
                                  covered.insert(covered.end(), hashes.begin(), hashes.end());
                                  at.touched.pop_front();
                                }
                              }
                              if (!covered.empty()) {
                                try {
                                  job.touched(covered);
                                } catch (const std::exception& e) {
                                  const ingestd_host_context& c = *control.stream_context();
                                  log::write(log::Level::Warn, c.component,
                                             std::string("cannot record the keys this batch touched (ingestd usage "
                                                         "will count fewer): ") + e.what(),
                                             {c.flow, c.stream, {}});
                                }
                              }
                            });
  at.job = &job;
  at.control = &control;
  at.initial_schema = transforms ? transforms->arrow_schema() : stream->arrow_schema();
  at.tracker = &tracker;
  at.lanes = &lanes;
  for (auto& lane : lanes) lane->thread = std::thread([&at, l = lane.get()] { write_lane(*l, at); });

  try {
    stopped = !read_into_lanes(job, *stream, transforms.get(), at, stats);
  } catch (const std::exception& e) {
    source_failed(e);
  }

  for (auto& lane : lanes) lane->queue.close();
  for (auto& lane : lanes) {
    lane->thread.join();
    lane->stats->queue_peak_batches = lane->queue.peak_items();
    lane->stats->queue_peak_bytes = lane->queue.peak_bytes();
    lane->stats->queued_batches = 0;
    lane->stats->queued_bytes = 0;
  }
  // A stream that never said its columns (nothing new) tells history nothing.
  if (const auto schema = stream->schema(); schema && !schema->fields.empty()) {
    // History and the kept catalog speak of the source's columns; the
    // destinations' are the transforms' (checked by validate).
    stats.set_columns(columns_json(*schema));
    if (job.schema_seen) job.schema_seen(*schema);
  }
  stream.reset();

  if (!outcome.stream_failure && at.save_failure) outcome.stream_failure = at.save_failure;
  bool lane_failed = false;
  for (auto& lane : lanes) {
    outcome.lane_failures[lane->index] = lane->failure;
    lane_failed = lane_failed || lane->failure;
  }
  outcome.saved = at.saved;
  if (outcome.stream_failure || lane_failed) {
    outcome.status = StreamStatus::Failed;
  } else if (job.continuous && control.run_stopping()) {
    outcome.stopped_on_request = true;
    outcome.status = StreamStatus::Completed;
  } else if (stopped || !at.read_complete) {
    outcome.status = StreamStatus::Stopped;
  } else {
    outcome.status = StreamStatus::Completed;
  }
  return outcome;
}

}  // namespace ingestd
