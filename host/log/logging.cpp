#include "log/logging.hpp"

#include "util/time.hpp"

#include <ingestd/sdk/json.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>

namespace ingestd::log {

namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::atomic<bool> g_json{false};
thread_local std::string t_run_id;

void add_field(std::string& line, const char* name, std::string_view value) {
  if (value.empty()) return;
  line += ",\"";
  line += name;
  line += "\":";
  json::write_string(line, value);
}

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto lg = std::make_shared<spdlog::logger>("ingestd", sink);
    lg->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    lg->set_level(spdlog::level::trace);  // filtering happens in write()
    return lg;
  }();
  return l;
}

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(Level l) {
  static const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
  return names[static_cast<int>(l)];
}

}  // namespace

void configure(const std::string& level, const std::string& format) {
  static const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
  int found = -1;
  for (int i = 0; i < 6; ++i)
    if (level == names[i]) found = i;
  if (found < 0)
    throw std::invalid_argument("unknown log level '" + level + "' (valid: trace, debug, info, warn, error, off)");
  if (format != "text" && format != "json")
    throw std::invalid_argument("unknown log format '" + format + "' (valid: text, json)");
  g_level = found;
  g_json = format == "json";
  logger()->set_pattern(g_json ? "%v" : "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load() && level != Level::Off; }

RunIdScope::RunIdScope(std::string run_id) : previous_(std::move(t_run_id)) { t_run_id = std::move(run_id); }

RunIdScope::~RunIdScope() { t_run_id = std::move(previous_); }

void write(Level level, std::string_view component, std::string_view message, const Fields& fields) {
  if (!enabled(level)) return;
  std::string text = redact(message);
  std::string line;
  if (g_json) {
    line = "{\"ts\":";
    json::write_string(line, utc_timestamp());
    line += ",\"level\":";
    json::write_string(line, level_name(level));
    add_field(line, "run_id", t_run_id);
    add_field(line, "component", component);
    add_field(line, "flow", fields.flow);
    add_field(line, "stream", fields.stream);
    add_field(line, "destination", fields.destination);
    line += ",\"msg\":";
    json::write_string(line, text);
    line += "}";
  } else {
    if (!component.empty()) {
      line += "[";
      line += component;
      line += "] ";
    }
    line += text;
  }
  logger()->log(to_spdlog(level), "{}", line);
}

}  // namespace ingestd::log
