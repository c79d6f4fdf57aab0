// The adapter between the C ABI and the classes of <ingestd/sdk/plugin.hpp>:
// the C callbacks of a plugin table, each turning exceptions into ABI
// errors. Not an API: plugin.hpp includes it for INGESTD_PLUGIN.
#pragma once

#ifndef INGESTD_SDK_PLUGIN_HPP
#error "include <ingestd/sdk/plugin.hpp>, not this header"
#endif

namespace ingestd::sdk::detail {

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

struct TransformHandle {
  std::unique_ptr<StreamTransform> transform;
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

inline StreamSettings stream_settings(const Options& o) {
  StreamSettings s;
  if (o.has(INGESTD_SETTING_LOOKBACK_MS)) s.lookback_ms = o.integer(INGESTD_SETTING_LOOKBACK_MS);
  if (o.has(INGESTD_SETTING_LOOKBACK)) s.lookback = o.get(INGESTD_SETTING_LOOKBACK);
  if (o.has(INGESTD_SETTING_START)) s.start = o.get(INGESTD_SETTING_START);
  s.deleted_column = o.string(INGESTD_SETTING_DELETED_COLUMN);
  s.where = o.string(INGESTD_SETTING_WHERE);
  s.flow = o.string(INGESTD_SETTING_FLOW);
  s.follow = o.boolean(INGESTD_SETTING_FOLLOW);
  s.catalog_entry = o.string(INGESTD_SETTING_CATALOG_ENTRY);
  return s;
}

inline TableSettings table_settings(const Options& o) {
  TableSettings s;
  const std::string changes = o.string(INGESTD_SETTING_SCHEMA_CHANGES, "evolve");
  if (auto c = schema_changes_from(changes)) s.schema_changes = *c;
  else
    throw Error(INGESTD_ERROR_INVALID_ARGUMENT, "schema_changes must be evolve, freeze or discard, not '" + changes + "'");
  s.hard_delete = o.boolean(INGESTD_SETTING_HARD_DELETE);
  s.delete_stale = o.boolean(INGESTD_SETTING_DELETE_STALE);
  return s;
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
    if (info.kinds & INGESTD_KIND_TRANSFORM) {
      p.open_transform = &open_transform;
      p.transform_batch = &transform_batch;
      p.close_transform = &close_transform;
    }
    p.get_extension = info.transactional_state || info.source_acks || info.source_release ? &get_extension : nullptr;
  }

  static const void* get_extension(const char* id) {
    static const ingestd_transactional_state_v1 state = {sizeof(ingestd_transactional_state_v1),
                                                         &commit_with_state, &load_state, &clear_state};
    static const ingestd_source_acks_v1 acks = {sizeof(ingestd_source_acks_v1), &checkpoint_saved};
    static const ingestd_source_release_v1 release = {sizeof(ingestd_source_release_v1), &release_stream};
    const PluginInfo& info = storage().info;
    if (!id) return nullptr;
    if (info.transactional_state && std::string_view(id) == INGESTD_EXT_TRANSACTIONAL_STATE) return &state;
    if (info.source_acks && std::string_view(id) == INGESTD_EXT_SOURCE_ACKS) return &acks;
    if (info.source_release && std::string_view(id) == INGESTD_EXT_SOURCE_RELEASE) return &release;
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

  static ingestd_status release_stream(ingestd_instance* instance, const char* flow, const char* stream,
                                       ingestd_error* err) {
    return guarded(err, [&] {
      handle(instance)->instance->release_stream(flow ? flow : "", stream ? stream : "");
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
        info.catalog_entry = s.catalog_entry.empty() ? nullptr : s.catalog_entry.c_str();
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
      req.settings = stream_settings(req.options);
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
      req.settings = table_settings(req.options);
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
      BatchReader reader(batch->array, th->schema, batch->metadata_json ? batch->metadata_json : "");
      th->table->write(reader);
      return INGESTD_OK;
    });
  }

  static ingestd_status open_transform(ingestd_instance* instance, const ingestd_transform_request* r,
                                       ingestd_transform** out, ArrowSchema* out_schema, ingestd_error* err) {
    return guarded(err, [&] {
      InstanceHandle* h = handle(instance);
      TransformRequest req;
      req.stream = r->stream ? r->stream : "";
      if (r->schema) req.schema = import_schema(*r->schema);
      req.run_id = r->run_id ? r->run_id : "";
      req.sync_time_us = r->sync_time_us;
      req.host = h->host.with_context(r->context);
      auto th = std::make_unique<TransformHandle>();
      th->transform = h->instance->open_transform(req);
      if (!th->transform) throw Error(INGESTD_ERROR_INTERNAL, "open_transform returned no transform");
      export_schema(th->transform->reshape(req.schema), out_schema);
      *out = reinterpret_cast<ingestd_transform*>(th.release());
      return INGESTD_OK;
    });
  }

  static ingestd_status transform_batch(ingestd_transform* transform, ingestd_batch* in, ingestd_batch* out,
                                        ingestd_error* err) {
    // Taken at once, so that they are released whatever happens next.
    OwnedArray array(&in->array);
    OwnedSchema changed;
    if (in->schema.release) changed = OwnedSchema(&in->schema);
    return guarded(err, [&] {
      auto* th = reinterpret_cast<TransformHandle*>(transform);
      if (changed.valid()) export_schema(th->transform->reshape(import_schema(*changed.get())), &out->schema);
      OwnedArray result = th->transform->apply(std::move(array));
      if (!result.valid()) throw Error(INGESTD_ERROR_INTERNAL, "apply() produced no array");
      out->row_count = result.get()->length;
      result.move_to(&out->array);
      return INGESTD_OK;
    });
  }

  static void close_transform(ingestd_transform* transform) {
    try {
      delete reinterpret_cast<TransformHandle*>(transform);
    } catch (...) {
    }
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

}  // namespace ingestd::sdk::detail
