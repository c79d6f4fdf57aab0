#include "pump/stream_job.hpp"

#include "log/logging.hpp"
#include "state/state_store.hpp"

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

struct Lane {
  Lane(int64_t max_batches, int64_t max_bytes) : queue(max_batches, max_bytes) {}
  std::size_t index = 0;
  PluginInstance* destination = nullptr;
  Semaphore* slots = nullptr;
  LaneStats* stats = nullptr;
  BoundedQueue<BatchPtr> queue;
  std::thread thread;
};

// Shared by the reader and the writers of one job.
struct JobState {
  const StreamJob* job;
  StreamStats* stats;
  // The schema tables open with; held here because the stream replaces its
  // own when the source changes schema, possibly before a writer opens.
  std::shared_ptr<sdk::OwnedSchema> initial_schema;
  CheckpointTracker* tracker = nullptr;
  std::vector<std::unique_ptr<Lane>>* lanes = nullptr;
  std::atomic<bool> aborted{false};        // a writer failed: everyone stops
  std::atomic<bool> read_complete{false};  // the source reached its end

  void abort_all() {
    aborted = true;
    stats->context->cancelled = true;
    for (auto& l : *lanes) {
      l->stats->context->cancelled = true;
      l->queue.abort();
    }
  }
};

void write_lane(Lane& lane, JobState& js) {
  const StreamJob& job = *js.job;
  LaneStats& ls = *lane.stats;
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
    js.tracker->committed(lane.index, sequence);
  };
  auto open = [&](const ArrowSchema* schema) {
    TableOpenRequest req;
    req.stream = job.stream;
    req.table = job.table;
    req.load_mode = job.settings->load_mode;
    req.primary_key = job.primary_key;
    req.cursor = job.settings->cursor;
    req.schema = schema;
    req.run_id = job.run_id;
    req.options = job.settings->table_options();
    req.context = ls.context.get();
    table = lane.destination->open_table(req);
  };
  // A stream that opens without columns (an incremental read with nothing
  // new cannot know them) says nothing about the table: it is opened with the
  // first batch's schema, or not at all, and keeps its columns as they are.
  const bool schema_known = js.initial_schema->get()->n_children > 0;
  try {
    if (schema_known) open(js.initial_schema->get());
    while (auto item = lane.queue.pop()) {
      const RecordBatch& b = **item;
      if (!table) {
        const ArrowSchema* schema = b.schema_change ? b.schema_change->get() : js.initial_schema->get();
        if (b.rows == 0 && schema->n_children == 0) {
          // Still nothing known (an empty file read): nothing to write, so
          // its checkpoint is as good as committed here.
          written = committed = b.sequence;
          ls.committed_sequence = b.sequence;
          if (b.checkpoint) js.tracker->committed(lane.index, b.sequence);
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
    if (js.aborted) {
      if (table) table->close(false);
      return;
    }
    if (!table) return;  // no columns and no rows: nothing to load
    // The queue closed: the stream ended or was stopped. Commit what arrived;
    // the load is complete only if the source reached its end.
    if (written > committed) commit(written, nullptr);
    table->close(js.read_complete.load());
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(ls.mutex);
      ls.error = e.what();
      const auto* pe = dynamic_cast<const PluginError*>(&e);
      const auto* se = dynamic_cast<const StateStoreError*>(&e);  // saving a checkpoint failed
      ls.transient = (pe && pe->retry_class() == INGESTD_RETRY_TRANSIENT) || (se && se->transient());
      ls.retry_after_ms = pe ? pe->retry_after_ms() : 0;
    }
    log::write(log::Level::Error, ls.context->component, e.what(),
               {ls.context->flow, ls.context->stream, ls.context->destination});
    js.abort_all();
  }
}

}  // namespace

void run_stream_job(const StreamJob& job, StreamStats& stats) {
  const FlowDef& flow = *job.flow->def;
  stats.mark_started();
  stats.finished_ns = 0;
  stats.status = StreamStatus::Running;
  // A retry starts clean: the previous attempt may have cancelled its parts.
  stats.context->cancelled = false;
  {
    std::lock_guard lock(stats.mutex);
    stats.error.clear();
    stats.transient = false;
    stats.retry_after_ms = 0;
  }
  for (auto& ls : stats.lanes) {
    ls->context->cancelled = false;
    std::lock_guard lock(ls->mutex);
    ls->error.clear();
    ls->transient = false;
    ls->retry_after_ms = 0;
  }
  stats.context->component = flow.name + "/" + job.stream;
  stats.context->flow = flow.name;
  stats.context->stream = job.stream;
  stats.context->parent_cancelled = job.run_cancelled;

  bool reader_failed = false, stopped = false, reader_transient = true;
  auto record_failure = [&](const std::exception& e) {
    const auto* pe = dynamic_cast<const PluginError*>(&e);
    if ((pe && pe->is_cancelled()) || stats.context->is_cancelled()) {
      stopped = true;
      return;
    }
    reader_failed = true;
    reader_transient = pe && pe->retry_class() == INGESTD_RETRY_TRANSIENT;
    std::lock_guard lock(stats.mutex);
    stats.error = e.what();
    stats.config_error = pe && pe->is_config();
    if (pe) stats.retry_after_ms = std::max(stats.retry_after_ms, pe->retry_after_ms());
    log::write(log::Level::Error, stats.context->component, e.what(), {stats.context->flow, stats.context->stream, {}});
  };

  SlotGuard source_slot(job.source_slots);
  std::unique_ptr<OpenStream> stream;
  try {
    StreamOpenRequest req;
    req.index = job.index;
    req.stream = job.stream;
    req.extract_mode = job.settings->extract_mode;
    req.cursor = job.settings->cursor;
    req.primary_key = job.primary_key;
    req.state = job.state;
    req.batch_rows = flow.batch_rows;
    req.options = job.settings->source_options();
    req.context = stats.context.get();
    stream = job.source->open_stream(req);
  } catch (const std::exception& e) {
    record_failure(e);
    {
      // A server that is not up yet is as worth a rerun as one lost mid-read.
      std::lock_guard lock(stats.mutex);
      stats.transient = reader_failed && reader_transient;
    }
    stats.status = reader_failed ? StreamStatus::Failed : StreamStatus::Stopped;
    stats.mark_finished();
    return;
  }

  std::vector<std::unique_ptr<Lane>> lanes;
  for (std::size_t i = 0; i < job.destinations.size(); ++i) {
    auto lane = std::make_unique<Lane>(flow.queue.max_batches, flow.queue.max_bytes);
    lane->index = i;
    lane->destination = job.destinations[i];
    lane->slots = job.destination_slots.empty() ? nullptr : job.destination_slots[i];
    lane->stats = stats.lanes.at(i).get();
    lanes.push_back(std::move(lane));
  }

  CheckpointTracker tracker(lanes.size(), [&](uint64_t sequence, const std::string& checkpoint, int64_t generation) {
    if (job.save) job.save(sequence, checkpoint, generation);
    stream->checkpoint_saved(checkpoint);
    std::lock_guard lock(stats.mutex);
    stats.saved_sequence = sequence;
    stats.saved_checkpoint = checkpoint;
    stats.saved_generation = generation;
  });
  JobState js;
  js.job = &job;
  js.stats = &stats;
  js.initial_schema = stream->arrow_schema();
  js.tracker = &tracker;
  js.lanes = &lanes;
  for (auto& lane : lanes) lane->thread = std::thread([&js, l = lane.get()] { write_lane(*l, js); });

  uint64_t sequence = 0;
  int64_t generation = job.base_generation;
  // A checkpoint equal to the one before it (a connector repeating its state
  // when nothing is new) is no new state: not saved again, so an idle run
  // leaves the state as it was. Sources that wait for acknowledgements get
  // every checkpoint.
  const bool dedupe_checkpoints = !job.source->plugin().checkpoint_saved;
  std::optional<std::string> last_checkpoint = job.state;
  try {
    for (;;) {
      if (js.aborted) break;
      if (stats.context->is_cancelled()) {
        stopped = true;
        break;
      }
      RecordBatch batch;
      if (!stream->next(batch)) {
        js.read_complete = true;
        break;
      }
      if (dedupe_checkpoints && batch.checkpoint) {
        if (batch.checkpoint == last_checkpoint) batch.checkpoint.reset();
        else last_checkpoint = batch.checkpoint;
      }
      if (batch.rows == 0 && !batch.checkpoint && !batch.schema_change) continue;
      batch.sequence = ++sequence;
      if (batch.checkpoint) {
        batch.generation = ++generation;
        tracker.add(batch.sequence, *batch.checkpoint, batch.generation);
      }
      stats.rows += batch.rows;
      stats.bytes += batch.bytes;
      stats.batches += 1;
      BatchPtr shared = std::make_shared<const RecordBatch>(std::move(batch));
      bool delivered = true;
      for (auto& lane : lanes) delivered = lane->queue.push(shared, shared->bytes) && delivered;
      if (!delivered) break;
    }
  } catch (const std::exception& e) {
    record_failure(e);
  }

  for (auto& lane : lanes) lane->queue.close();
  for (auto& lane : lanes) {
    lane->thread.join();
    lane->stats->queue_peak_batches = lane->queue.peak_items();
    lane->stats->queue_peak_bytes = lane->queue.peak_bytes();
  }
  stream.reset();

  bool writer_failed = false;
  for (auto& ls : stats.lanes) {
    std::lock_guard lock(ls->mutex);
    writer_failed = writer_failed || !ls->error.empty();
  }
  // A failure is worth retrying only when everything that failed said so.
  bool transient = !reader_failed || reader_transient;
  for (auto& ls : stats.lanes) {
    std::lock_guard lock(ls->mutex);
    if (ls->error.empty()) continue;
    transient = transient && ls->transient;
    std::lock_guard stats_lock(stats.mutex);
    stats.retry_after_ms = std::max(stats.retry_after_ms, ls->retry_after_ms);
  }
  {
    std::lock_guard lock(stats.mutex);
    stats.transient = (reader_failed || writer_failed) && transient;
  }
  const bool run_stopped = job.run_cancelled && job.run_cancelled->load();
  if (reader_failed || writer_failed) {
    stats.status = StreamStatus::Failed;
  } else if (job.continuous && run_stopped) {
    stats.stopped_on_request = true;
    stats.status = StreamStatus::Completed;
  } else if (stopped || !js.read_complete) {
    stats.status = StreamStatus::Stopped;
  } else {
    stats.status = StreamStatus::Completed;
  }
  stats.mark_finished();
}

}  // namespace ingestd
