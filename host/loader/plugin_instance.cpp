#include "loader/plugin_instance.hpp"

#include "config/names.hpp"
#include "log/logging.hpp"

#include <cstring>

namespace ingestd {

std::string status_name(ingestd_status status) {
  switch (status) {
    case INGESTD_OK: return "OK";
    case INGESTD_END_OF_STREAM: return "END_OF_STREAM";
    case INGESTD_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case INGESTD_ERROR_CONFIG: return "CONFIG";
    case INGESTD_ERROR_IO: return "IO";
    case INGESTD_ERROR_DATA: return "DATA";
    case INGESTD_ERROR_SCHEMA: return "SCHEMA";
    case INGESTD_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
    case INGESTD_ERROR_CANCELLED: return "CANCELLED";
    case INGESTD_ERROR_VERSION_MISMATCH: return "VERSION_MISMATCH";
    case INGESTD_ERROR_INTERNAL: return "INTERNAL";
    default: return "status " + std::to_string(status);
  }
}

namespace {

// An ingestd_error the host owns; released when it goes out of scope.
struct ErrorSlot {
  ingestd_error e{};
  ErrorSlot() { e.struct_size = sizeof e; }
  ~ErrorSlot() {
    if (e.release) e.release(&e);
  }
  ErrorSlot(const ErrorSlot&) = delete;
  ErrorSlot& operator=(const ErrorSlot&) = delete;

  // `where` (the component in the flow file) goes first when given.
  [[noreturn]] void raise(ingestd_status status, const std::string& plugin, const char* call,
                          const std::string& where = {}) {
    std::string message = e.message ? e.message : "";
    if (message.empty())
      message = "plugin '" + plugin + "' failed in " + call + " with " + status_name(status) + " and no message";
    if (!where.empty()) message = where + ": " + message;
    int32_t retry = e.retry_class;
    int64_t after = e.retry_after_ms;
    throw sdk::Error(status, log::redact(message), retry, after);
  }
};

void noop_release_array(ArrowArray* a) { a->release = nullptr; }
void noop_release_schema(ArrowSchema* s) { s->release = nullptr; }

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  for (const auto& s : v) out.push_back(s.c_str());
  return out;
}

std::vector<std::string> strings(const char* const* items, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; items && i < n; ++i)
    if (items[i]) out.emplace_back(items[i]);
  return out;
}

}  // namespace

PluginInstance::PluginInstance(const LoadedPlugin& plugin, std::string name, uint32_t role,
                               const json::Value& config, const std::string& base_dir,
                               const std::atomic<bool>* run_cancelled, std::string where)
    : plugin_(&plugin), name_(std::move(name)), role_(role), where_(std::move(where)) {
  context_.component = role_name(role) + " " + name_;
  context_.parent_cancelled = run_cancelled;
  std::string config_json = config.dump();
  ingestd_create_args args{};
  args.struct_size = sizeof args;
  args.instance_name = name_.c_str();
  args.role = role;
  args.config_json = config_json.c_str();
  args.base_dir = base_dir.c_str();
  args.context = &context_;
  ErrorSlot err;
  ingestd_status st = plugin_->table.create(&args, &handle_, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "create", where_);
  if (!handle_) throw sdk::Error(INGESTD_ERROR_INTERNAL, "plugin '" + plugin_->descriptor.name + "' created no instance");
}

PluginInstance::~PluginInstance() {
  if (handle_) plugin_->table.destroy(handle_);
}

std::string PluginInstance::label() const {
  return role_name(role_) + " " + name_ + " (" +
         plugin_->descriptor.name + ")";
}

void PluginInstance::check() {
  ErrorSlot err;
  ingestd_status st = plugin_->table.check(handle_, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "check", where_);
}

std::vector<CatalogStream> PluginInstance::discover() {
  ingestd_catalog catalog{};
  catalog.struct_size = sizeof catalog;
  ErrorSlot err;
  ingestd_status st = plugin_->table.discover(handle_, &catalog, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "discover", where_);
  struct Releaser {
    ingestd_catalog* c;
    ~Releaser() {
      if (c->release) c->release(c);
    }
  } releaser{&catalog};
  std::vector<CatalogStream> out;
  for (uint32_t i = 0; i < catalog.stream_count && catalog.streams; ++i) {
    const ingestd_stream_info* s = catalog.streams[i];
    if (!s || !s->name) continue;
    CatalogStream cs;
    cs.name = s->name;
    if (INGESTD_HAS_MEMBER(s, ingestd_stream_info, schema) && s->schema) {
      try {
        // The catalog owns the schema; check_schema only reads it.
        cs.schema = check_schema(*s->schema);
      } catch (const std::exception& e) {
        throw sdk::Error(INGESTD_ERROR_INTERNAL, "plugin '" + plugin_->descriptor.name + "' discovered stream '" + cs.name +
                              "' with a malformed schema: " + e.what());
      }
    }
    if (INGESTD_HAS_MEMBER(s, ingestd_stream_info, primary_key_count))
      cs.primary_key = strings(s->primary_key, s->primary_key_count);
    if (INGESTD_HAS_MEMBER(s, ingestd_stream_info, cursor_candidate_count))
      cs.cursor_candidates = strings(s->cursor_candidates, s->cursor_candidate_count);
    if (INGESTD_HAS_MEMBER(s, ingestd_stream_info, extract_modes)) cs.extract_modes = s->extract_modes;
    if (INGESTD_HAS_MEMBER(s, ingestd_stream_info, flags)) cs.flags = s->flags;
    if (INGESTD_HAS_MEMBER(s, ingestd_stream_info, catalog_entry) && s->catalog_entry)
      cs.catalog_entry = s->catalog_entry;
    if (cs.extract_modes == 0) cs.extract_modes = plugin_->descriptor.extract_modes;
    out.push_back(std::move(cs));
  }
  return out;
}

std::optional<sdk::StoredState> PluginInstance::load_state(const std::string& key) {
  ingestd_state_blob blob{};
  blob.struct_size = sizeof blob;
  ErrorSlot err;
  ingestd_status st = plugin_->transactional_state->load_state(handle_, key.c_str(), &blob, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "load_state", where_);
  std::optional<sdk::StoredState> out;
  if (blob.data) out = sdk::StoredState{std::string(reinterpret_cast<const char*>(blob.data), blob.size), blob.generation};
  if (blob.release) blob.release(&blob);
  return out;
}

void PluginInstance::clear_state(const std::string& key) {
  ErrorSlot err;
  ingestd_status st = plugin_->transactional_state->clear_state(handle_, key.c_str(), &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "clear_state", where_);
}

void PluginInstance::release_stream(const std::string& flow, const std::string& stream) {
  ErrorSlot err;
  ingestd_status st = plugin_->release_stream(handle_, flow.c_str(), stream.c_str(), &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "release_stream", where_);
}

void PluginInstance::cancel() {
  if (plugin_->table.cancel) plugin_->table.cancel(handle_);
}

std::unique_ptr<OpenStream> PluginInstance::open_stream(const StreamOpenRequest& r) {
  auto pk = c_strings(r.primary_key);
  std::string options = sdk::settings_json(r.settings).dump();
  ingestd_stream_request req{};
  req.struct_size = sizeof req;
  req.stream_index = r.index;
  req.stream = r.stream.c_str();
  req.extract_mode = r.extract_mode;
  req.cursor_field = r.cursor_field.empty() ? nullptr : r.cursor_field.c_str();
  req.primary_key = pk.empty() ? nullptr : pk.data();
  req.primary_key_count = static_cast<uint32_t>(pk.size());
  if (r.state) {
    req.state = reinterpret_cast<const uint8_t*>(r.state->data());
    req.state_size = r.state->size();
  }
  req.batch_rows = r.batch_rows;
  req.options_json = options.c_str();
  req.context = r.context;
  ingestd_stream* handle = nullptr;
  ArrowSchema schema;
  std::memset(&schema, 0, sizeof schema);
  ErrorSlot err;
  ingestd_status st = plugin_->table.open_stream(handle_, &req, &handle, &schema, &err.e);
  if (st != INGESTD_OK) {
    if (schema.release) schema.release(&schema);
    err.raise(st, plugin_->descriptor.name, "open_stream");
  }
  return std::make_unique<OpenStream>(*plugin_, handle, &schema, r.index);
}

std::unique_ptr<OpenTable> PluginInstance::open_table(const TableOpenRequest& r) {
  auto pk = c_strings(r.primary_key);
  std::string options = sdk::settings_json(r.settings).dump();
  ingestd_table_request req{};
  req.struct_size = sizeof req;
  req.stream = r.stream.c_str();
  req.table = r.table.c_str();
  req.load_mode = r.load_mode;
  req.primary_key = pk.empty() ? nullptr : pk.data();
  req.primary_key_count = static_cast<uint32_t>(pk.size());
  req.cursor_field = r.cursor_field.empty() ? nullptr : r.cursor_field.c_str();
  req.schema = r.schema;
  req.run_id = r.run_id.c_str();
  req.options_json = options.c_str();
  req.context = r.context;
  ingestd_table* handle = nullptr;
  ErrorSlot err;
  ingestd_status st = plugin_->table.open_table(handle_, &req, &handle, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "open_table");
  return std::make_unique<OpenTable>(*plugin_, handle);
}

std::unique_ptr<OpenTransform> PluginInstance::open_transform(const TransformOpenRequest& r) {
  ingestd_transform_request req{};
  req.struct_size = sizeof req;
  req.stream = r.stream.c_str();
  sdk::OwnedSchema input = sdk::export_schema(r.schema ? *r.schema : sdk::Schema{});
  req.schema = input.get();
  req.run_id = r.run_id.c_str();
  req.sync_time_us = r.sync_time_us;
  req.context = r.context;
  ingestd_transform* handle = nullptr;
  ArrowSchema schema;
  std::memset(&schema, 0, sizeof schema);
  ErrorSlot err;
  ingestd_status st = plugin_->table.open_transform(handle_, &req, &handle, &schema, &err.e);
  if (st != INGESTD_OK) {
    if (schema.release) schema.release(&schema);
    err.raise(st, plugin_->descriptor.name, "open_transform", where_);
  }
  return std::make_unique<OpenTransform>(*plugin_, handle, &schema, "transform " + name_);
}

OpenStream::OpenStream(const LoadedPlugin& plugin, ingestd_stream* handle, ArrowSchema* schema, uint32_t index)
    : plugin_(&plugin), handle_(handle), index_(index) {
  arrow_schema_ = std::make_shared<sdk::OwnedSchema>(schema);
  try {
    schema_ = std::make_shared<const sdk::Schema>(check_schema(*arrow_schema_->get()));
  } catch (const std::exception& e) {
    plugin_->table.close_stream(handle_);
    handle_ = nullptr;
    throw sdk::Error(INGESTD_ERROR_INTERNAL, "plugin '" + plugin.descriptor.name + "' opened a stream with a malformed schema: " + e.what());
  }
}

OpenStream::~OpenStream() {
  if (handle_) plugin_->table.close_stream(handle_);
}

void OpenStream::checkpoint_saved(const std::string& checkpoint) {
  if (plugin_->checkpoint_saved)
    plugin_->checkpoint_saved(handle_, reinterpret_cast<const uint8_t*>(checkpoint.data()), checkpoint.size());
}

bool OpenStream::next(RecordBatch& out) {
  ingestd_batch b{};
  b.struct_size = sizeof b;
  ErrorSlot err;
  ingestd_status st = plugin_->table.next_batch(handle_, &b, &err.e);
  if (st == INGESTD_END_OF_STREAM) return false;
  // Whatever happens next, take ownership of what the plugin handed over.
  sdk::OwnedArray array(&b.array);
  std::shared_ptr<sdk::OwnedSchema> new_schema;
  if (b.schema.release) new_schema = std::make_shared<sdk::OwnedSchema>(&b.schema);
  if (b.checkpoint) out.checkpoint = std::string(reinterpret_cast<const char*>(b.checkpoint), b.checkpoint_size);
  else out.checkpoint.reset();
  out.metadata_json = b.metadata_json ? b.metadata_json : "";
  if (b.release) b.release(&b);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "next_batch");

  const std::string& name = plugin_->descriptor.name;
  try {
    if (new_schema) {
      schema_ = std::make_shared<const sdk::Schema>(check_schema(*new_schema->get()));
      arrow_schema_ = new_schema;
    }
    out.bytes = check_batch(*array.get(), *schema_);
  } catch (const std::exception& e) {
    throw sdk::Error(INGESTD_ERROR_INTERNAL, "plugin '" + name + "' produced a malformed batch: " + e.what());
  }
  out.array = std::move(array);
  out.schema_change = new_schema;
  out.schema = schema_;
  out.rows = out.array.get()->length;
  out.stream_index = index_;
  return true;
}

OpenTable::OpenTable(const LoadedPlugin& plugin, ingestd_table* handle) : plugin_(&plugin), handle_(handle) {}

OpenTable::~OpenTable() {
  if (!handle_) return;
  ErrorSlot err;
  plugin_->table.close_table(handle_, INGESTD_CLOSE_ABORT, &err.e);
}

void OpenTable::write(const RecordBatch& batch) {
  // Lend the batch: bitwise views whose release does nothing, so the
  // destination cannot free what other destinations still read.
  ingestd_batch view{};
  view.struct_size = sizeof view;
  view.stream_index = batch.stream_index;
  view.row_count = batch.rows;
  view.array = *batch.array.get();
  view.array.release = &noop_release_array;
  if (batch.schema_change) {
    view.schema = *batch.schema_change->get();
    view.schema.release = &noop_release_schema;
  }
  if (batch.checkpoint) {
    view.checkpoint = reinterpret_cast<const uint8_t*>(batch.checkpoint->data());
    view.checkpoint_size = batch.checkpoint->size();
  }
  view.metadata_json = batch.metadata_json.empty() ? nullptr : batch.metadata_json.c_str();
  ErrorSlot err;
  ingestd_status st = plugin_->table.write_batch(handle_, &view, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "write_batch");
}

void OpenTable::commit(uint64_t sequence) {
  ErrorSlot err;
  ingestd_status st = plugin_->table.commit(handle_, sequence, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "commit");
}

void OpenTable::commit_with_state(uint64_t sequence, const std::string& key, const std::string& state,
                                  int64_t generation) {
  ErrorSlot err;
  ingestd_status st = plugin_->transactional_state->commit_with_state(
      handle_, sequence, key.c_str(), reinterpret_cast<const uint8_t*>(state.data()), state.size(), generation, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "commit_with_state");
}

void OpenTable::close(bool complete) {
  ingestd_table* h = handle_;
  handle_ = nullptr;
  ErrorSlot err;
  ingestd_status st = plugin_->table.close_table(h, complete ? INGESTD_CLOSE_COMPLETE : INGESTD_CLOSE_ABORT, &err.e);
  if (st != INGESTD_OK) err.raise(st, plugin_->descriptor.name, "close_table");
}

OpenTransform::OpenTransform(const LoadedPlugin& plugin, ingestd_transform* handle, ArrowSchema* schema,
                             std::string label)
    : plugin_(&plugin), handle_(handle), label_(std::move(label)) {
  arrow_schema_ = std::make_shared<sdk::OwnedSchema>(schema);
  try {
    schema_ = std::make_shared<const sdk::Schema>(check_schema(*arrow_schema_->get()));
  } catch (const std::exception& e) {
    plugin_->table.close_transform(handle_);
    handle_ = nullptr;
    throw sdk::Error(INGESTD_ERROR_INTERNAL,
                     label_ + ": plugin '" + plugin.descriptor.name + "' gave a malformed schema: " + e.what());
  }
}

OpenTransform::~OpenTransform() {
  if (handle_) plugin_->table.close_transform(handle_);
}

void OpenTransform::apply(RecordBatch& batch) {
  ingestd_batch in{};
  in.struct_size = sizeof in;
  in.stream_index = batch.stream_index;
  in.row_count = batch.rows;
  batch.array.move_to(&in.array);
  // The transform is given a schema of its own: the host's stays with the
  // stream and the batches already queued.
  if (batch.schema_change) sdk::export_schema(*batch.schema, &in.schema);
  if (batch.checkpoint) {
    in.checkpoint = reinterpret_cast<const uint8_t*>(batch.checkpoint->data());
    in.checkpoint_size = batch.checkpoint->size();
  }
  in.metadata_json = batch.metadata_json.empty() ? nullptr : batch.metadata_json.c_str();
  ingestd_batch out{};
  out.struct_size = sizeof out;
  ErrorSlot err;
  ingestd_status st = plugin_->table.transform_batch(handle_, &in, &out, &err.e);
  // Whatever happens next, the host owns what the transform handed over,
  // and what it left of the input.
  sdk::OwnedArray left_in(&in.array);
  sdk::OwnedSchema left_schema(&in.schema);
  sdk::OwnedArray array(&out.array);
  std::shared_ptr<sdk::OwnedSchema> new_schema;
  if (out.schema.release) new_schema = std::make_shared<sdk::OwnedSchema>(&out.schema);
  if (out.release) out.release(&out);
  if (st != INGESTD_OK) {
    std::string message = err.e.message ? err.e.message : "";
    if (message.empty()) message = "failed with " + status_name(st) + " and no message";
    throw sdk::Error(st, log::redact(label_ + ": " + message), err.e.retry_class, err.e.retry_after_ms);
  }
  try {
    if (!array.valid()) throw std::runtime_error("no array");
    if (new_schema) {
      schema_ = std::make_shared<const sdk::Schema>(check_schema(*new_schema->get()));
      arrow_schema_ = new_schema;
    }
    batch.bytes = check_batch(*array.get(), *schema_);
  } catch (const std::exception& e) {
    throw sdk::Error(INGESTD_ERROR_INTERNAL,
                     label_ + ": plugin '" + plugin_->descriptor.name + "' produced a malformed batch: " + e.what());
  }
  batch.array = std::move(array);
  batch.schema_change = new_schema;
  batch.schema = schema_;
  batch.rows = batch.array.get()->length;
}

}  // namespace ingestd
