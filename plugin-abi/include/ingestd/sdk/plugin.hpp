// The C++ face of the plugin ABI: describe a plugin, implement an Instance
// (and its SourceStream or DestinationTable), export it with INGESTD_PLUGIN.
//
//   ingestd::sdk::PluginInfo describe();
//   std::unique_ptr<ingestd::sdk::Instance> create(const ingestd::sdk::CreateContext&);
//   INGESTD_PLUGIN(describe, create)
//
// Every callback is wrapped: exceptions become ABI errors (ingestd::sdk::Error
// keeps its status and retry class, anything else is INGESTD_ERROR_INTERNAL)
// and nothing throws across the boundary.
#pragma once

#include <ingestd/abi.h>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>

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
// Errors

class Error : public std::runtime_error {
 public:
  Error(ingestd_status status, const std::string& message,
        int32_t retry_class = INGESTD_RETRY_PERMANENT, int64_t retry_after_ms = 0)
      : std::runtime_error(message),
        status_(status),
        retry_class_(retry_class),
        retry_after_ms_(retry_after_ms) {}
  ingestd_status status() const { return status_; }
  int32_t retry_class() const { return retry_class_; }
  int64_t retry_after_ms() const { return retry_after_ms_; }

 private:
  ingestd_status status_;
  int32_t retry_class_;
  int64_t retry_after_ms_;
};

inline Error config_error(const std::string& m) {
  return Error(INGESTD_ERROR_CONFIG, m, INGESTD_RETRY_CONFIG);
}
inline Error data_error(const std::string& m) { return Error(INGESTD_ERROR_DATA, m); }
inline Error schema_error(const std::string& m) { return Error(INGESTD_ERROR_SCHEMA, m); }
inline Error io_error(const std::string& m, bool transient = true, int64_t retry_after_ms = 0) {
  return Error(INGESTD_ERROR_IO, m, transient ? INGESTD_RETRY_TRANSIENT : INGESTD_RETRY_PERMANENT,
               retry_after_ms);
}
inline Error not_supported(const std::string& m) { return Error(INGESTD_ERROR_NOT_SUPPORTED, m); }
inline Error cancelled_error() { return Error(INGESTD_ERROR_CANCELLED, "cancelled"); }

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

  OptionSpec& required() {
    required_ = true;
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

struct PluginInfo {
  std::string name;
  std::string version;
  uint32_t kinds = 0;
  std::string description;
  std::string doc_url;
  uint32_t extract_modes = 0;
  uint32_t load_modes = 0;
  std::vector<OptionSpec> options;
  uint32_t max_concurrent_streams = 0;
  // INGESTD_SOURCE_* bits: flow settings the source applies (`where`).
  uint32_t source_settings = 0;
  // Offer "ingestd.transactional-state/1": tables implement commit_with_state
  // and instances load_state.
  bool transactional_state = false;
  // Offer "ingestd.source-acks/1": streams hear of their saved checkpoints
  // through SourceStream::checkpoint_saved.
  bool source_acks = false;
};

// ---------------------------------------------------------------------------
// What instances receive and return

struct CreateContext {
  std::string name;
  uint32_t role = 0;  // INGESTD_KIND_SOURCE or INGESTD_KIND_DESTINATION
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
};

struct StreamRequest {
  uint32_t index = 0;
  std::string stream;
  uint32_t extract_mode = INGESTD_EXTRACT_SNAPSHOT;
  std::string cursor_field;
  std::vector<std::string> primary_key;
  std::optional<std::string> state;  // the last committed checkpoint
  int64_t batch_rows = 16384;
  Options options;
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
  Options options;
  Host host;
};

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

// A checkpoint a destination stored with its data (transactional state).
struct StoredState {
  std::string data;
  int64_t generation = 0;
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
  // With PluginInfo::transactional_state: what commit_with_state stored.
  virtual std::optional<StoredState> load_state(const std::string& key) {
    (void)key;
    throw not_supported("this destination does not store state");
  }
  virtual void clear_state(const std::string& key) {
    (void)key;
    throw not_supported("this destination does not store state");
  }
  // Called from any thread; blocking work should notice cancelled() soon.
  virtual void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

using DescribeFn = PluginInfo (*)();
using CreateFn = std::unique_ptr<Instance> (*)(const CreateContext&);

// ---------------------------------------------------------------------------
// The adapter between the C ABI and the classes above

namespace detail {

inline void release_error(ingestd_error* e) {
  if (!e) return;
  if (INGESTD_HAS_MEMBER(e, ingestd_error, message)) {
    std::free(e->message);
    e->message = nullptr;
  }
  e->release = nullptr;
}

inline ingestd_status fill_error(ingestd_error* e, ingestd_status status, int32_t retry_class,
                                 int64_t retry_after_ms, const char* message) {
  if (!e || !INGESTD_HAS_MEMBER(e, ingestd_error, release)) return status;
  if (e->release) e->release(e);  // an earlier error left in the struct
  e->retry_class = retry_class;
  e->retry_after_ms = retry_after_ms;
  e->message = strdup(message ? message : "");
  e->release = &release_error;
  return status;
}

// Runs `f`, turning any exception into an ABI status and error.
template <class F>
ingestd_status guarded(ingestd_error* err, F&& f) noexcept {
  try {
    return f();
  } catch (const Error& e) {
    return fill_error(err, e.status(), e.retry_class(), e.retry_after_ms(), e.what());
  } catch (const std::bad_alloc&) {
    return fill_error(err, INGESTD_ERROR_INTERNAL, INGESTD_RETRY_TRANSIENT, 0, "out of memory");
  } catch (const std::exception& e) {
    std::string m = std::string("unexpected error: ") + e.what();
    return fill_error(err, INGESTD_ERROR_INTERNAL, INGESTD_RETRY_PERMANENT, 0, m.c_str());
  } catch (...) {
    return fill_error(err, INGESTD_ERROR_INTERNAL, INGESTD_RETRY_PERMANENT, 0,
                      "unexpected error: unknown exception");
  }
}

inline std::vector<std::string> string_list(const char* const* items, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i)
    if (items && items[i]) out.emplace_back(items[i]);
  return out;
}

inline std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  out.reserve(v.size());
  for (const auto& s : v) out.push_back(s.c_str());
  return out;
}

struct InstanceHandle {
  std::unique_ptr<Instance> instance;
  Host host;
};

struct StreamHandle {
  std::unique_ptr<SourceStream> stream;
  uint32_t index = 0;
};

struct TableHandle {
  std::unique_ptr<DestinationTable> table;
  Schema schema;  // the current schema of incoming batches
};

struct CatalogPrivate {
  std::vector<StreamInfo> streams;
  std::vector<OwnedSchema> schemas;
  std::vector<std::vector<const char*>> keys, cursors;
  std::vector<ingestd_stream_info> infos;
  std::vector<const ingestd_stream_info*> pointers;
};

inline void release_catalog(ingestd_catalog* c) {
  if (!c || !c->release) return;
  delete static_cast<CatalogPrivate*>(c->private_data);
  c->release = nullptr;
}

struct BatchPrivate {
  std::string checkpoint;
  std::string metadata;
};

inline void release_state_blob(ingestd_state_blob* b) {
  if (!b || !b->release) return;
  delete static_cast<std::string*>(b->private_data);
  b->release = nullptr;
}

inline void release_batch(ingestd_batch* b) {
  if (!b || !b->release) return;
  delete static_cast<BatchPrivate*>(b->private_data);
  b->release = nullptr;
}

inline Options parse_options(const char* text, const char* what) {
  if (!text || !*text) return Options();
  try {
    return Options(json::Value::parse(text));
  } catch (const std::exception& e) {
    throw Error(INGESTD_ERROR_INVALID_ARGUMENT, std::string(what) + " is not JSON: " + e.what());
  }
}

// One instantiation per plugin (Tag has internal linkage in the plugin's own
// translation unit), so the static state below is private to each plugin.
template <class Tag>
struct Adapter {
  static ingestd_host_api& host_api() {
    static ingestd_host_api api{};
    return api;
  }

  struct DescriptorStorage {
    PluginInfo info;
    std::vector<std::vector<const char*>> enum_pointers;
    std::vector<ingestd_option> options;
    std::vector<const ingestd_option*> option_pointers;
    ingestd_descriptor descriptor{};
    ingestd_plugin plugin{};
  };

  // Built on first use and never freed: the host reads the descriptor for the
  // life of the process.
  static DescriptorStorage& storage() {
    static DescriptorStorage* s = [] {
      auto* p = new DescriptorStorage;
      p->info = Tag::describe_plugin();
      link(*p);
      return p;
    }();
    return *s;
  }

  // Points the C descriptor at the strings of `s.info`; `s` must not move after.
  static void link(DescriptorStorage& s) {
    const PluginInfo& info = s.info;
    s.enum_pointers.reserve(info.options.size());
    s.options.reserve(info.options.size());
    for (const OptionSpec& o : info.options) {
      s.enum_pointers.push_back(c_strings(o.enum_values));
      ingestd_option c{};
      c.struct_size = sizeof(ingestd_option);
      c.name = o.name.c_str();
      c.type = o.type;
      c.flags = (o.required_ ? INGESTD_OPTION_REQUIRED : 0u) |
                (o.secret_ ? INGESTD_OPTION_SECRET_VALUE : 0u);
      c.kinds = o.kinds;
      c.default_value = o.default_value ? o.default_value->c_str() : nullptr;
      c.enum_values = s.enum_pointers.back().empty() ? nullptr : s.enum_pointers.back().data();
      c.enum_value_count = static_cast<uint32_t>(o.enum_values.size());
      c.description = o.description.c_str();
      s.options.push_back(c);
    }
    for (const auto& o : s.options) s.option_pointers.push_back(&o);

    ingestd_descriptor& d = s.descriptor;
    d.struct_size = sizeof(ingestd_descriptor);
    d.name = info.name.c_str();
    d.version = info.version.c_str();
    d.kinds = info.kinds;
    d.description = info.description.c_str();
    d.doc_url = info.doc_url.empty() ? nullptr : info.doc_url.c_str();
    d.extract_modes = info.extract_modes;
    d.load_modes = info.load_modes;
    d.options = s.option_pointers.empty() ? nullptr : s.option_pointers.data();
    d.option_count = static_cast<uint32_t>(s.option_pointers.size());
    d.max_concurrent_streams = info.max_concurrent_streams;
    d.source_settings = info.source_settings;

    ingestd_plugin& p = s.plugin;
    p.struct_size = sizeof(ingestd_plugin);
    p.abi_major = INGESTD_ABI_VERSION_MAJOR;
    p.abi_minor = INGESTD_ABI_VERSION_MINOR;
    p.descriptor = &s.descriptor;
    p.create = &create;
    p.destroy = &destroy;
    p.check = &check;
    p.discover = &discover;
    p.cancel = &cancel;
    if (info.kinds & INGESTD_KIND_SOURCE) {
      p.open_stream = &open_stream;
      p.next_batch = &next_batch;
      p.close_stream = &close_stream;
    }
    if (info.kinds & INGESTD_KIND_DESTINATION) {
      p.open_table = &open_table;
      p.write_batch = &write_batch;
      p.commit = &commit;
      p.close_table = &close_table;
    }
    p.get_extension = info.transactional_state || info.source_acks ? &get_extension : nullptr;
  }

  static const void* get_extension(const char* id) {
    static const ingestd_transactional_state_v1 state = {sizeof(ingestd_transactional_state_v1),
                                                         &commit_with_state, &load_state, &clear_state};
    static const ingestd_source_acks_v1 acks = {sizeof(ingestd_source_acks_v1), &checkpoint_saved};
    const PluginInfo& info = storage().info;
    if (!id) return nullptr;
    if (info.transactional_state && std::string_view(id) == INGESTD_EXT_TRANSACTIONAL_STATE) return &state;
    if (info.source_acks && std::string_view(id) == INGESTD_EXT_SOURCE_ACKS) return &acks;
    return nullptr;
  }

  static void checkpoint_saved(ingestd_stream* stream, const uint8_t* checkpoint, uint64_t size) {
    try {
      std::string_view cp(reinterpret_cast<const char*>(checkpoint), checkpoint ? size : 0);
      reinterpret_cast<StreamHandle*>(stream)->stream->checkpoint_saved(cp);
    } catch (...) {
      // Nothing may cross the boundary; an acknowledgement lost here only
      // delays a producer, which retries.
    }
  }

  static ingestd_status commit_with_state(ingestd_table* table, uint64_t sequence, const char* key,
                                          const uint8_t* state, uint64_t state_size, int64_t generation,
                                          ingestd_error* err) {
    return guarded(err, [&] {
      std::string_view data(reinterpret_cast<const char*>(state), state ? state_size : 0);
      reinterpret_cast<TableHandle*>(table)->table->commit_with_state(sequence, key ? key : "", data, generation);
      return INGESTD_OK;
    });
  }

  static ingestd_status clear_state(ingestd_instance* instance, const char* key, ingestd_error* err) {
    return guarded(err, [&] {
      handle(instance)->instance->clear_state(key ? key : "");
      return INGESTD_OK;
    });
  }

  static ingestd_status load_state(ingestd_instance* instance, const char* key, ingestd_state_blob* out,
                                   ingestd_error* err) {
    return guarded(err, [&] {
      std::optional<StoredState> s = handle(instance)->instance->load_state(key ? key : "");
      if (!s) return INGESTD_OK;
      auto* data = new std::string(std::move(s->data));
      out->data = reinterpret_cast<const uint8_t*>(data->data());
      out->size = data->size();
      out->generation = s->generation;
      out->release = &release_state_blob;
      out->private_data = data;
      return INGESTD_OK;
    });
  }

  static ingestd_status entry(uint32_t host_major, uint32_t host_minor, const ingestd_host_api* host,
                              const ingestd_plugin** out) noexcept {
    (void)host_minor;
    try {
      if (out) *out = &storage().plugin;
      if (host_major != INGESTD_ABI_VERSION_MAJOR) return INGESTD_ERROR_VERSION_MISMATCH;
      if (host) {
        ingestd_host_api& api = host_api();
        std::memcpy(&api, host, std::min<std::size_t>(host->struct_size, sizeof api));
        api.struct_size = sizeof api;
      }
      return INGESTD_OK;
    } catch (...) {
      return INGESTD_ERROR_INTERNAL;
    }
  }

  static ingestd_status create(const ingestd_create_args* args, ingestd_instance** out,
                               ingestd_error* err) {
    return guarded(err, [&] {
      if (!args || !out) throw Error(INGESTD_ERROR_INVALID_ARGUMENT, "create: NULL argument");
      CreateContext ctx;
      ctx.name = args->instance_name ? args->instance_name : "";
      ctx.role = args->role;
      ctx.options = parse_options(args->config_json, "config_json");
      ctx.base_dir = args->base_dir ? args->base_dir : "";
      ctx.host = Host(&host_api(), args->context);
      auto handle = std::make_unique<InstanceHandle>();
      handle->host = ctx.host;
      handle->instance = Tag::create_instance(ctx);
      if (!handle->instance) throw Error(INGESTD_ERROR_INTERNAL, "create returned no instance");
      *out = reinterpret_cast<ingestd_instance*>(handle.release());
      return INGESTD_OK;
    });
  }

  static InstanceHandle* handle(ingestd_instance* i) { return reinterpret_cast<InstanceHandle*>(i); }

  static void destroy(ingestd_instance* instance) {
    try {
      delete handle(instance);
    } catch (...) {
      // A destructor that throws would end the process; swallow it instead.
    }
  }

  static ingestd_status check(ingestd_instance* instance, ingestd_error* err) {
    return guarded(err, [&] {
      handle(instance)->instance->check();
      return INGESTD_OK;
    });
  }

  static ingestd_status discover(ingestd_instance* instance, ingestd_catalog* out,
                                 ingestd_error* err) {
    return guarded(err, [&] {
      auto p = std::make_unique<CatalogPrivate>();
      p->streams = handle(instance)->instance->discover();
      std::size_t n = p->streams.size();
      p->schemas.reserve(n);
      p->keys.reserve(n);
      p->cursors.reserve(n);
      p->infos.reserve(n);
      for (const StreamInfo& s : p->streams) {
        p->schemas.push_back(export_schema(s.schema));
        p->keys.push_back(c_strings(s.primary_key));
        p->cursors.push_back(c_strings(s.cursor_candidates));
        ingestd_stream_info info{};
        info.struct_size = sizeof info;
        info.name = s.name.c_str();
        info.schema = p->schemas.back().get();
        info.primary_key = p->keys.back().data();
        info.primary_key_count = static_cast<uint32_t>(s.primary_key.size());
        info.cursor_candidates = p->cursors.back().data();
        info.cursor_candidate_count = static_cast<uint32_t>(s.cursor_candidates.size());
        info.extract_modes = s.extract_modes;
        info.flags = (s.cursor_required ? INGESTD_STREAM_CURSOR_REQUIRED : 0u) |
                     (s.continuous ? INGESTD_STREAM_CONTINUOUS : 0u);
        p->infos.push_back(info);
      }
      for (const auto& info : p->infos) p->pointers.push_back(&info);
      out->stream_count = static_cast<uint32_t>(n);
      out->streams = p->pointers.data();
      out->release = &release_catalog;
      out->private_data = p.release();
      return INGESTD_OK;
    });
  }

  static void cancel(ingestd_instance* instance) {
    try {
      handle(instance)->instance->cancel();
    } catch (...) {
    }
  }

  static ingestd_status open_stream(ingestd_instance* instance, const ingestd_stream_request* r,
                                    ingestd_stream** out, ArrowSchema* out_schema,
                                    ingestd_error* err) {
    return guarded(err, [&] {
      InstanceHandle* h = handle(instance);
      StreamRequest req;
      req.index = r->stream_index;
      req.stream = r->stream ? r->stream : "";
      req.extract_mode = r->extract_mode;
      req.cursor_field = r->cursor_field ? r->cursor_field : "";
      req.primary_key = string_list(r->primary_key, r->primary_key_count);
      if (r->state) req.state = std::string(reinterpret_cast<const char*>(r->state), r->state_size);
      if (r->batch_rows > 0) req.batch_rows = r->batch_rows;
      req.options = parse_options(r->options_json, "stream options");
      req.host = h->host.with_context(r->context);
      auto sh = std::make_unique<StreamHandle>();
      sh->index = r->stream_index;
      sh->stream = h->instance->open_stream(req);
      if (!sh->stream) throw Error(INGESTD_ERROR_INTERNAL, "open_stream returned no stream");
      export_schema(sh->stream->schema(), out_schema);
      *out = reinterpret_cast<ingestd_stream*>(sh.release());
      return INGESTD_OK;
    });
  }

  static ingestd_status next_batch(ingestd_stream* stream, ingestd_batch* out, ingestd_error* err) {
    return guarded(err, [&] {
      auto* sh = reinterpret_cast<StreamHandle*>(stream);
      Batch b;
      if (!sh->stream->next(b)) return INGESTD_END_OF_STREAM;
      if (!b.array.valid()) throw Error(INGESTD_ERROR_INTERNAL, "next() produced no array");
      out->stream_index = sh->index;
      out->row_count = b.array.get()->length;
      if (b.new_schema) export_schema(*b.new_schema, &out->schema);
      b.array.move_to(&out->array);
      if (b.checkpoint || !b.metadata_json.empty()) {
        auto* p = new BatchPrivate{b.checkpoint.value_or(""), std::move(b.metadata_json)};
        if (b.checkpoint) {
          out->checkpoint = reinterpret_cast<const uint8_t*>(p->checkpoint.data());
          out->checkpoint_size = p->checkpoint.size();
        }
        out->metadata_json = p->metadata.empty() ? nullptr : p->metadata.c_str();
        out->release = &release_batch;
        out->private_data = p;
      }
      return INGESTD_OK;
    });
  }

  static void close_stream(ingestd_stream* stream) {
    try {
      delete reinterpret_cast<StreamHandle*>(stream);
    } catch (...) {
    }
  }

  static ingestd_status open_table(ingestd_instance* instance, const ingestd_table_request* r,
                                   ingestd_table** out, ingestd_error* err) {
    return guarded(err, [&] {
      InstanceHandle* h = handle(instance);
      TableRequest req;
      req.stream = r->stream ? r->stream : "";
      req.table = r->table ? r->table : req.stream;
      req.load_mode = r->load_mode;
      req.primary_key = string_list(r->primary_key, r->primary_key_count);
      req.cursor_field = r->cursor_field ? r->cursor_field : "";
      if (r->schema) req.schema = import_schema(*r->schema);
      req.run_id = r->run_id ? r->run_id : "";
      req.options = parse_options(r->options_json, "table options");
      req.host = h->host.with_context(r->context);
      auto th = std::make_unique<TableHandle>();
      th->schema = req.schema;
      th->table = h->instance->open_table(req);
      if (!th->table) throw Error(INGESTD_ERROR_INTERNAL, "open_table returned no table");
      *out = reinterpret_cast<ingestd_table*>(th.release());
      return INGESTD_OK;
    });
  }

  static ingestd_status write_batch(ingestd_table* table, const ingestd_batch* batch,
                                    ingestd_error* err) {
    return guarded(err, [&] {
      auto* th = reinterpret_cast<TableHandle*>(table);
      if (batch->schema.release) {
        th->schema = import_schema(batch->schema);
        th->table->schema_changed(th->schema);
      }
      BatchReader reader(batch->array, th->schema);
      th->table->write(reader);
      return INGESTD_OK;
    });
  }

  static ingestd_status commit(ingestd_table* table, uint64_t sequence, ingestd_error* err) {
    return guarded(err, [&] {
      reinterpret_cast<TableHandle*>(table)->table->commit(sequence);
      return INGESTD_OK;
    });
  }

  static ingestd_status close_table(ingestd_table* table, int32_t outcome, ingestd_error* err) {
    std::unique_ptr<TableHandle> th(reinterpret_cast<TableHandle*>(table));
    return guarded(err, [&] {
      th->table->close(outcome == INGESTD_CLOSE_COMPLETE);
      return INGESTD_OK;
    });
  }
};

}  // namespace detail
}  // namespace ingestd::sdk

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
