// Host-side handles for plugin objects: an instance, an open source stream, an
// open destination table. They call through the ABI, turn failures into
// sdk::Error, and release what the plugin handed over.
#pragma once

#include "arrow/record_batch.hpp"
#include "loader/host_api.hpp"
#include "loader/plugin_registry.hpp"

#include <ingestd/abi.h>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/stored_state.hpp>
#include <ingestd/sdk/schema.hpp>
#include <ingestd/sdk/settings.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ingestd {

std::string status_name(ingestd_status status);

struct CatalogStream {
  std::string name;
  sdk::Schema schema;
  std::vector<std::string> primary_key;
  std::vector<std::string> cursor_candidates;
  uint32_t extract_modes = 0;
  uint32_t flags = 0;  // INGESTD_STREAM_*
  std::string catalog_entry;  // the source's own form of the entry, for open_stream
  bool continuous() const { return flags & INGESTD_STREAM_CONTINUOUS; }
  bool cursor_required() const { return flags & INGESTD_STREAM_CURSOR_REQUIRED; }
};

struct StreamOpenRequest {
  uint32_t index = 0;
  std::string stream;
  uint32_t extract_mode = INGESTD_EXTRACT_SNAPSHOT;
  std::string cursor_field;
  std::vector<std::string> primary_key;
  std::optional<std::string> state;
  int64_t batch_rows = INGESTD_DEFAULT_BATCH_ROWS;
  sdk::StreamSettings settings;
  ingestd_host_context* context = nullptr;
};

struct TableOpenRequest {
  std::string stream;
  std::string table;
  uint32_t load_mode = INGESTD_LOAD_APPEND;
  std::vector<std::string> primary_key;
  std::string cursor_field;
  const ArrowSchema* schema = nullptr;
  std::string run_id;
  sdk::TableSettings settings;
  ingestd_host_context* context = nullptr;
};

struct TransformOpenRequest {
  std::string stream;
  std::shared_ptr<const sdk::Schema> schema;  // of the batches coming in
  std::string run_id;
  int64_t sync_time_us = 0;
  ingestd_host_context* context = nullptr;
};

class OpenStream;
class OpenTable;
class OpenTransform;

class PluginInstance {
 public:
  // Calls the plugin's create; throws sdk::Error. `where` names the
  // component in the flow file ("flows.toml:3:1: sources.shop"): errors of
  // the control-thread calls (create, check, discover, state) start with it.
  PluginInstance(const LoadedPlugin& plugin, std::string name, uint32_t role, const json::Value& config,
                 const std::string& base_dir, const std::atomic<bool>* run_cancelled, std::string where = {});
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const LoadedPlugin& plugin() const { return *plugin_; }
  const std::string& name() const { return name_; }
  // "source shop (files)"
  std::string label() const;
  ingestd_host_context* context() { return &context_; }

  void check();
  std::vector<CatalogStream> discover();
  // True when the destination stores checkpoints with its data.
  bool stores_state() const { return plugin_->transactional_state.has_value(); }
  // What a transactional destination stored under `key` (stores_state() only).
  std::optional<sdk::StoredState> load_state(const std::string& key);
  void clear_state(const std::string& key);
  // Sources with "ingestd.source-release/1" (check plugin().release_stream).
  void release_stream(const std::string& flow, const std::string& stream);
  void cancel();  // any thread
  std::unique_ptr<OpenStream> open_stream(const StreamOpenRequest& request);
  std::unique_ptr<OpenTable> open_table(const TableOpenRequest& request);
  // Transforms (role INGESTD_KIND_TRANSFORM): errors start with where().
  std::unique_ptr<OpenTransform> open_transform(const TransformOpenRequest& request);

 private:
  const LoadedPlugin* plugin_;
  std::string name_;
  uint32_t role_;
  std::string where_;
  ingestd_host_context context_;
  ingestd_instance* handle_ = nullptr;
};

class OpenStream {
 public:
  OpenStream(const LoadedPlugin& plugin, ingestd_stream* handle, ArrowSchema* schema, uint32_t index);
  ~OpenStream();
  OpenStream(const OpenStream&) = delete;
  OpenStream& operator=(const OpenStream&) = delete;

  // The current Arrow schema; hold the pointer to keep it alive across changes.
  std::shared_ptr<sdk::OwnedSchema> arrow_schema() const { return arrow_schema_; }
  std::shared_ptr<const sdk::Schema> schema() const { return schema_; }
  // Fills `out` (array, rows, bytes, checkpoint, schema change) and returns
  // true, or returns false at the end of the stream. Throws sdk::Error.
  bool next(RecordBatch& out);
  // Tells a source that asked for acknowledgements that `checkpoint` is saved.
  // Any thread.
  void checkpoint_saved(const std::string& checkpoint);

 private:
  const LoadedPlugin* plugin_;
  ingestd_stream* handle_;
  std::shared_ptr<sdk::OwnedSchema> arrow_schema_;
  std::shared_ptr<const sdk::Schema> schema_;
  uint32_t index_;
};

class OpenTable {
 public:
  OpenTable(const LoadedPlugin& plugin, ingestd_table* handle);
  ~OpenTable();  // aborts if close() was not called
  OpenTable(const OpenTable&) = delete;
  OpenTable& operator=(const OpenTable&) = delete;

  void write(const RecordBatch& batch);
  void commit(uint64_t sequence);
  // Commits and stores the checkpoint in the same transaction (transactional
  // destinations only).
  void commit_with_state(uint64_t sequence, const std::string& key, const std::string& state, int64_t generation);
  void close(bool complete);

 private:
  const LoadedPlugin* plugin_;
  ingestd_table* handle_;
};

class OpenTransform {
 public:
  OpenTransform(const LoadedPlugin& plugin, ingestd_transform* handle, ArrowSchema* schema, std::string label);
  ~OpenTransform();
  OpenTransform(const OpenTransform&) = delete;
  OpenTransform& operator=(const OpenTransform&) = delete;

  // The schema of the batches the transform produces.
  std::shared_ptr<sdk::OwnedSchema> arrow_schema() const { return arrow_schema_; }
  std::shared_ptr<const sdk::Schema> schema() const { return schema_; }
  // Replaces the batch's rows (array, schema, rows, bytes) by what the
  // transform made of them; checkpoint, metadata and sequence stay. Throws
  // sdk::Error.
  void apply(RecordBatch& batch);

 private:
  const LoadedPlugin* plugin_;
  ingestd_transform* handle_;
  std::shared_ptr<sdk::OwnedSchema> arrow_schema_;
  std::shared_ptr<const sdk::Schema> schema_;
  std::string label_;  // "transform pii": what its errors start with
};

}  // namespace ingestd
