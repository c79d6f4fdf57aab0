#include "loader/host_api.hpp"

#include "log/logging.hpp"

#include <string_view>

namespace ingestd {

void Counters::add(const std::string& name, int64_t delta) {
  std::lock_guard lock(mutex_);
  values_[name] += delta;
}

std::map<std::string, int64_t> Counters::snapshot() const {
  std::lock_guard lock(mutex_);
  return values_;
}

void Counters::set_gauge(const std::string& name, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name] = value;
}

std::map<std::string, double> Counters::gauges() const {
  std::lock_guard lock(mutex_);
  return gauges_;
}

void Counters::set_text(const std::string& name, const char* value) {
  std::lock_guard lock(mutex_);
  if (value)
    texts_[name] = value;
  else
    texts_.erase(name);
}

std::map<std::string, std::string> Counters::texts() const {
  std::lock_guard lock(mutex_);
  return texts_;
}

namespace {

log::Level to_level(int32_t level) {
  if (level <= INGESTD_LOG_TRACE) return log::Level::Trace;
  if (level >= INGESTD_LOG_ERROR) return log::Level::Error;
  return static_cast<log::Level>(level);
}

void host_log(ingestd_host_context* ctx, int32_t level, const char* message) {
  if (!ctx) {
    log::write(to_level(level), "plugin", message ? message : "");
    return;
  }
  log::write(to_level(level), ctx->component, message ? message : "", {ctx->flow, ctx->stream, ctx->destination});
}

int32_t host_log_enabled(ingestd_host_context*, int32_t level) { return log::enabled(to_level(level)) ? 1 : 0; }

void host_counter_add(ingestd_host_context* ctx, const char* name, int64_t delta) {
  if (ctx && name) ctx->counters->add(name, delta);
}

int32_t host_is_cancelled(ingestd_host_context* ctx) { return ctx && ctx->is_cancelled() ? 1 : 0; }

void host_gauge_set(ingestd_host_context* ctx, const char* name, double value) {
  if (ctx && name) ctx->counters->set_gauge(name, value);
}

void host_text_set(ingestd_host_context* ctx, const char* name, const char* value) {
  if (ctx && name) ctx->counters->set_text(name, value);
}

const ingestd_host_gauges_v1 kGauges = {sizeof(ingestd_host_gauges_v1), &host_gauge_set, &host_text_set};

// Plugins treat NULL as "not offered".
const void* host_get_extension(ingestd_host_context*, const char* id) {
  if (id && std::string_view(id) == INGESTD_HOST_EXT_GAUGES) return &kGauges;
  return nullptr;
}

}  // namespace

const ingestd_host_api* host_api() {
  static const ingestd_host_api api = {
      sizeof(ingestd_host_api), &host_log, &host_log_enabled, &host_counter_add, &host_is_cancelled,
      &host_get_extension,
  };
  return &api;
}

}  // namespace ingestd
