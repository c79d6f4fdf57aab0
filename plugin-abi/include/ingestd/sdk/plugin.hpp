// The C++ face of the plugin ABI: describe a plugin, implement an Instance
// (and its SourceStream, DestinationTable or StreamTransform), export it with
// INGESTD_PLUGIN.
//
//   ingestd::sdk::PluginInfo describe();
//   std::unique_ptr<ingestd::sdk::Instance> create(const ingestd::sdk::CreateContext&);
//   INGESTD_PLUGIN(describe, create)
//
// Every callback is wrapped: exceptions become ABI errors (ingestd::sdk::Error
// keeps its status and retry class, anything else is INGESTD_ERROR_INTERNAL)
// and nothing throws across the boundary.
#pragma once
#define INGESTD_SDK_PLUGIN_HPP

#include <ingestd/abi.h>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>
#include <ingestd/sdk/settings.hpp>
#include <ingestd/sdk/stored_state.hpp>
#include <ingestd/sdk/transform.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingestd::sdk {

// ---------------------------------------------------------------------------
// Host services

class Host {
 public:
  Host() = default;
  Host(const ingestd_host_api* api, ingestd_host_context* context) : api_(api), ctx_(context) {}

  void log(int32_t level, std::string_view message) const {
    if (api_ && api_->log) api_->log(ctx_, level, std::string(message).c_str());
  }
  bool log_enabled(int32_t level) const {
    return api_ && api_->log_enabled && api_->log_enabled(ctx_, level) != 0;
  }
  void debug(std::string_view m) const {
    if (log_enabled(INGESTD_LOG_DEBUG)) log(INGESTD_LOG_DEBUG, m);
  }
  void info(std::string_view m) const { log(INGESTD_LOG_INFO, m); }
  void warn(std::string_view m) const { log(INGESTD_LOG_WARN, m); }
  void error(std::string_view m) const { log(INGESTD_LOG_ERROR, m); }

  void count(const char* name, int64_t delta) const {
    if (api_ && api_->counter_add) api_->counter_add(ctx_, name, delta);
  }
  // Sets a gauge (INGESTD_GAUGE_*); a host without gauges ignores it.
  void gauge(const char* name, double value) const {
    const auto* g = static_cast<const ingestd_host_gauges_v1*>(extension(INGESTD_HOST_EXT_GAUGES));
    if (g && g->set) g->set(ctx_, name, value);
  }
  // Sets a text (INGESTD_TEXT_*); a host without texts ignores it.
  void text(const char* name, const std::string& value) const {
    const auto* g = static_cast<const ingestd_host_gauges_v1*>(extension(INGESTD_HOST_EXT_GAUGES));
    if (g && INGESTD_HAS_MEMBER(g, ingestd_host_gauges_v1, set_text) && g->set_text)
      g->set_text(ctx_, name, value.c_str());
  }
  bool cancelled() const { return api_ && api_->is_cancelled && api_->is_cancelled(ctx_) != 0; }
  const void* extension(const char* id) const {
    return api_ && api_->get_extension ? api_->get_extension(ctx_, id) : nullptr;
  }
  Host with_context(ingestd_host_context* context) const { return Host(api_, context); }

 private:
  const ingestd_host_api* api_ = nullptr;
  ingestd_host_context* ctx_ = nullptr;
};

// ---------------------------------------------------------------------------
// Options, as the host validated and normalised them

class Options {
 public:
  Options() : v_(json::Object{}) {}
  explicit Options(json::Value v) : v_(std::move(v)) {}

  bool has(std::string_view name) const { return !v_[name].is_null(); }
  const json::Value& get(std::string_view name) const { return v_[name]; }
  const json::Value& all() const { return v_; }

  std::string string(std::string_view name, std::string fallback = {}) const {
    const json::Value& v = v_[name];
    return v.is_string() ? v.as_string() : fallback;
  }
  int64_t integer(std::string_view name, int64_t fallback = 0) const {
    const json::Value& v = v_[name];
    return v.is_int() ? v.as_int() : fallback;
  }
  double number(std::string_view name, double fallback = 0) const {
    const json::Value& v = v_[name];
    return v.is_number() ? v.as_double() : fallback;
  }
  bool boolean(std::string_view name, bool fallback = false) const {
    const json::Value& v = v_[name];
    return v.is_bool() ? v.as_bool() : fallback;
  }
  // Sizes arrive in bytes, durations in milliseconds.
  int64_t size_bytes(std::string_view name, int64_t fallback = 0) const {
    return integer(name, fallback);
  }
  int64_t duration_ms(std::string_view name, int64_t fallback = 0) const {
    return integer(name, fallback);
  }
  std::vector<std::string> list(std::string_view name) const {
    std::vector<std::string> out;
    const json::Value& v = v_[name];
    if (v.is_array())
      for (const auto& e : v.as_array())
        if (e.is_string()) out.push_back(e.as_string());
    return out;
  }

 private:
  json::Value v_;
};

// ---------------------------------------------------------------------------
// Describing a plugin

struct OptionSpec {
  std::string name;
  uint32_t type = INGESTD_OPTION_STRING;
  bool required_ = false;
  bool secret_ = false;
  uint32_t kinds = 0;
  std::optional<std::string> default_value;
  std::vector<std::string> enum_values;
  std::string description;

  // The flow must set it: whatever default a bound member's initial value
  // gave is dropped.
  OptionSpec& required() {
    required_ = true;
    default_value.reset();
    return *this;
  }
  OptionSpec& secret() {
    secret_ = true;
    return *this;
  }
  OptionSpec& default_to(std::string v) {
    default_value = std::move(v);
    return *this;
  }
  OptionSpec& only_for(uint32_t k) {
    kinds = k;
    return *this;
  }
  // A string option limited to `values`.
  OptionSpec& one_of(std::vector<std::string> values) {
    type = INGESTD_OPTION_ENUM;
    enum_values = std::move(values);
    return *this;
  }
};

inline OptionSpec option(std::string name, uint32_t type, std::string description) {
  OptionSpec o;
  o.name = std::move(name);
  o.type = type;
  o.secret_ = type == INGESTD_OPTION_SECRET;
  o.description = std::move(description);
  return o;
}
inline OptionSpec enum_option(std::string name, std::vector<std::string> values,
                              std::string description) {
  OptionSpec o = option(std::move(name), INGESTD_OPTION_ENUM, std::move(description));
  o.enum_values = std::move(values);
  return o;
}

// Every member has an initializer, so that designated initializers may name
// only the ones they set: PluginInfo p{.name = "x", .version = "1.0.0", ...}.
struct PluginInfo {
  std::string name{};
  std::string version{};
  uint32_t kinds = 0;
  std::string description{};
  std::string doc_url{};
  uint32_t extract_modes = 0;
  uint32_t load_modes = 0;
  std::vector<OptionSpec> options{};
  uint32_t max_concurrent_streams = 0;
  // INGESTD_SOURCE_* bits: flow settings the source applies (`where`).
  uint32_t source_settings = 0;
  // Offer "ingestd.transactional-state/1": tables implement commit_with_state
  // and instances load_state.
  bool transactional_state = false;
  // Offer "ingestd.source-acks/1": streams hear of their saved checkpoints
  // through SourceStream::checkpoint_saved.
  bool source_acks = false;
  // Offer "ingestd.source-release/1": instances implement release_stream.
  bool source_release = false;
};

// ---------------------------------------------------------------------------
// What instances receive and return

struct CreateContext {
  std::string name;
  uint32_t role = 0;  // INGESTD_KIND_SOURCE, INGESTD_KIND_DESTINATION or INGESTD_KIND_TRANSFORM
  Options options;
  std::string base_dir;
  Host host;

  // Relative paths in options are relative to the flow file's directory.
  std::string resolve_path(const std::string& p) const {
    if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
    return base_dir + "/" + p;
  }
};

struct StreamInfo {
  std::string name;
  Schema schema;
  std::vector<std::string> primary_key;
  std::vector<std::string> cursor_candidates;
  uint32_t extract_modes = 0;  // 0: the descriptor's
  bool cursor_required = false;  // incremental reads need the flow's cursor
  bool continuous = false;       // never ends by itself (see INGESTD_STREAM_CONTINUOUS)
  // What open_stream needs again to read the stream without discovering
  // anew; kept by the host with the catalog and given back in
  // StreamRequest::settings.catalog_entry.
  std::string catalog_entry;
};

struct StreamRequest {
  uint32_t index = 0;
  std::string stream;
  uint32_t extract_mode = INGESTD_EXTRACT_SNAPSHOT;
  std::string cursor_field;
  std::vector<std::string> primary_key;
  std::optional<std::string> state;  // the last committed checkpoint
  int64_t batch_rows = INGESTD_DEFAULT_BATCH_ROWS;
  StreamSettings settings;
  Options options;  // the settings as the host sent them (keys a newer host may add)
  Host host;
};

struct TableRequest {
  std::string stream;
  std::string table;
  uint32_t load_mode = INGESTD_LOAD_APPEND;
  std::vector<std::string> primary_key;
  std::string cursor_field;
  Schema schema;
  std::string run_id;
  TableSettings settings;
  Options options;  // the settings as the host sent them
  Host host;
};

// `pattern` with "{stream}" and "{table}" replaced by the request's: where a
// destination that writes to named places (topics, keys) puts a stream.
inline std::string name_for(std::string pattern, const TableRequest& r) {
  for (const auto& [name, value] : {std::pair<std::string, std::string>{"{stream}", r.stream}, {"{table}", r.table}})
    for (auto at = pattern.find(name); at != std::string::npos; at = pattern.find(name, at + value.size()))
      pattern.replace(at, name.size(), value);
  return pattern;
}

// A batch a source produces.
struct Batch {
  OwnedArray array;
  std::optional<Schema> new_schema;       // set when the stream's schema changes here
  std::optional<std::string> checkpoint;  // the source's state after this batch
  std::string metadata_json;              // optional JSON object
};

class SourceStream {
 public:
  virtual ~SourceStream() = default;
  // The schema of the batches; called once, right after the stream opens.
  virtual Schema schema() = 0;
  // Fills `batch` and returns true, or returns false at the end of the stream.
  virtual bool next(Batch& batch) = 0;
  // With PluginInfo::source_acks: the batch carrying `checkpoint` (and all
  // before it) is committed everywhere. Any thread, even during next().
  virtual void checkpoint_saved(std::string_view checkpoint) { (void)checkpoint; }
};


class DestinationTable {
 public:
  virtual ~DestinationTable() = default;
  // The stream's schema changed; the next batches follow `schema`.
  virtual void schema_changed(const Schema& schema) { (void)schema; }
  virtual void write(const BatchReader& batch) = 0;
  virtual void commit(uint64_t sequence) = 0;
  // With PluginInfo::transactional_state: commit, storing `state` under `key`
  // in the same transaction.
  virtual void commit_with_state(uint64_t sequence, const std::string& key, std::string_view state,
                                 int64_t generation) {
    (void)sequence, (void)key, (void)state, (void)generation;
    throw not_supported("this destination does not store state");
  }
  // complete: finish the load; otherwise drop what was not committed.
  virtual void close(bool complete) = 0;
};

// What a transform is opened for: one stream of one run.
struct TransformRequest {
  std::string stream;
  Schema schema;  // of the batches coming in
  std::string run_id;
  int64_t sync_time_us = 0;  // when the run started, microseconds since the epoch (UTC)
  Host host;
};

// Rewrites the batches of one stream. Stateless: what apply returns depends
// on the batch alone (a retried stream sees its batches again).
class StreamTransform {
 public:
  virtual ~StreamTransform() = default;
  // The schema of the batches apply() returns for batches of `input`:
  // called once when the transform opens and again whenever the stream's
  // schema changes. Throws (Error with INGESTD_ERROR_CONFIG) when the input
  // does not suit, naming what it lacks.
  virtual Schema reshape(const Schema& input) = 0;
  // Transforms a batch of the schema last given to reshape. The batch is
  // given: hand its unchanged columns on with SharedBatch, without a copy.
  virtual OwnedArray apply(OwnedArray batch) = 0;
};

class Instance {
 public:
  virtual ~Instance() = default;
  virtual void check() {}
  virtual std::vector<StreamInfo> discover() {
    throw not_supported("this plugin does not discover streams");
  }
  virtual std::unique_ptr<SourceStream> open_stream(const StreamRequest& request) {
    (void)request;
    throw not_supported("this plugin is not a source");
  }
  virtual std::unique_ptr<DestinationTable> open_table(const TableRequest& request) {
    (void)request;
    throw not_supported("this plugin is not a destination");
  }
  virtual std::unique_ptr<StreamTransform> open_transform(const TransformRequest& request) {
    (void)request;
    throw not_supported("this plugin is not a transform");
  }
  // With PluginInfo::transactional_state: what commit_with_state stored.
  virtual std::optional<StoredState> load_state(const std::string& key) {
    (void)key;
    throw not_supported("this destination does not store state");
  }
  virtual void clear_state(const std::string& key) {
    (void)key;
    throw not_supported("this destination does not store state");
  }
  // With PluginInfo::source_release: let go of what the source holds at its
  // server for the stream (`ingestd state reset --drop-slot`).
  virtual void release_stream(const std::string& flow, const std::string& stream) {
    (void)flow, (void)stream;
    throw not_supported("this source holds nothing at its server");
  }
  // Called from any thread; blocking work should notice cancelled() soon.
  virtual void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

using DescribeFn = PluginInfo (*)();
using CreateFn = std::unique_ptr<Instance> (*)(const CreateContext&);

}  // namespace ingestd::sdk

// The C callbacks behind INGESTD_PLUGIN, written against the classes above.
#include <ingestd/sdk/detail/adapter.hpp>

// Exports the plugin's entry function. Use once per shared object, at
// namespace scope, with a describe function and a create function.
#define INGESTD_PLUGIN(describe_fn, create_fn)                                               \
  namespace {                                                                                \
  struct ingestd_plugin_tag_ {                                                               \
    static ::ingestd::sdk::PluginInfo describe_plugin() { return describe_fn(); }            \
    static std::unique_ptr<::ingestd::sdk::Instance> create_instance(                        \
        const ::ingestd::sdk::CreateContext& context) {                                      \
      return create_fn(context);                                                             \
    }                                                                                        \
  };                                                                                         \
  }                                                                                          \
  extern "C" INGESTD_EXPORT ingestd_status ingestd_plugin_entry(                             \
      uint32_t host_abi_major, uint32_t host_abi_minor, const ingestd_host_api* host,        \
      const ingestd_plugin** out_plugin) {                                                   \
    return ::ingestd::sdk::detail::Adapter<ingestd_plugin_tag_>::entry(                      \
        host_abi_major, host_abi_minor, host, out_plugin);                                   \
  }
