#include <ingestd/kit/child/connector.hpp>

#include <ingestd/sdk/bound_options.hpp>


#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

namespace ingestd::kit::child {

namespace {

bool credential_like(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::array<std::string_view, 8> words = {"password", "secret", "token",      "key",
                                                        "credential", "auth",  "private", "passphrase"};
  return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return k.find(w) != std::string::npos; });
}

// `over` merged into `base`: objects member by member, anything else replaced.
json::Value merged(json::Value base, const json::Value& over) {
  if (!base.is_object() || !over.is_object()) return over;
  for (const auto& [k, v] : over.as_object()) {
    const json::Value* existing = base.as_object().find(k);
    base.as_object().set(k, existing ? merged(*existing, v) : v);
  }
  return base;
}

std::vector<std::string> split_command(const json::Value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& a : v.as_array()) {
      if (!a.is_string()) throw sdk::config_error("command: every element must be a string");
      out.push_back(a.as_string());
    }
  } else if (v.is_string()) {
    // Whitespace separates arguments; use the array form for arguments with spaces.
    std::string cur;
    for (char c : v.as_string()) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!cur.empty()) out.push_back(std::move(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
  }
  if (out.empty()) throw sdk::config_error("command must name the connector's executable, e.g. [\"tap-x\"] or \"node main.js\"");
  return out;
}

}  // namespace

void Redactor::add(const std::string& secret) {
  if (secret.size() < 4 || std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.push_back(secret);
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void Redactor::add_all(const json::Value& v) {
  if (v.is_string()) add(v.as_string());
  if (v.is_array())
    for (const auto& e : v.as_array()) add_all(e);
  if (v.is_object())
    for (const auto& [k, e] : v.as_object()) add_all(e);
}

void Redactor::add_credential_like(const json::Value& v) {
  if (v.is_array())
    for (const auto& e : v.as_array()) add_credential_like(e);
  if (!v.is_object()) return;
  for (const auto& [k, e] : v.as_object()) {
    if (credential_like(k)) add_all(e);
    else add_credential_like(e);
  }
}

std::string Redactor::operator()(std::string_view text) const {
  std::string out(text);
  for (const auto& s : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "***");
      pos += 3;
    }
  }
  return out;
}

namespace {

// The options every connector source has, each declared once below.
struct ConnectorSettings {
  json::Value command;
  json::Value config;
  json::Value secrets;
  json::Value env;
  std::filesystem::path working_dir;  // empty: the flow file's folder
  std::chrono::milliseconds command_timeout{300'000};
  std::chrono::milliseconds max_batch_age{5'000};
};

const sdk::BoundOptions<ConnectorSettings>& connector_settings() {
  static const sdk::BoundOptions<ConnectorSettings> o = [] {
    using C = ConnectorSettings;
    sdk::BoundOptions<C> b;
    b.add("command", &C::command,
          "The connector's executable and arguments: [\"tap-x\", \"--flag\"] or \"node main.js\"")
        .required();
    b.add("config", &C::config, "The connector's config, written to a private file (0600) for each run");
    b.add("secrets", &C::secrets, "Config keys holding credentials, merged into config and redacted from every log line")
        .secret();
    b.add("env", &C::env,
          "Environment variables set for the connector, { NAME = \"value\" }; values are redacted from logs")
        .secret();
    b.add("working_dir", &C::working_dir, "The connector's working folder (default: the flow file's)");
    b.add("command_timeout", &C::command_timeout, "The longest discover, spec or check may take");
    b.add("max_batch_age", &C::max_batch_age, "A batch leaves after this long even if not full (slow sources)");
    return b;
  }();
  return o;
}

}  // namespace

Connector Connector::from_options(const sdk::CreateContext& ctx) {
  const ConnectorSettings s = connector_settings().bind(ctx);
  Connector c;
  c.command = split_command(s.command);
  json::Value config = s.config.is_null() ? json::Value(json::Object{}) : s.config;
  if (!config.is_object()) throw sdk::config_error("config must be a table (the connector's config)");
  if (!s.secrets.is_null() && !s.secrets.is_object()) throw sdk::config_error("secrets must be a table");
  c.redact.add_all(s.secrets);
  c.redact.add_credential_like(config);
  c.config = s.secrets.is_null() ? config : merged(config, s.secrets);
  c.working_dir = s.working_dir.empty() ? ctx.base_dir : s.working_dir.string();
  c.command_timeout_ms = s.command_timeout.count();
  c.max_batch_age_ms = s.max_batch_age.count();
  if (s.env.is_object())
    for (const auto& [k, v] : s.env.as_object()) {
      if (!v.is_string()) throw sdk::config_error("env." + k + " must be a string");
      c.env.emplace_back(k, v.as_string());
    }
  else if (!s.env.is_null())
    throw sdk::config_error("env must be a table of strings, { NAME = \"value\" }");
  // A relative executable path is relative to the flow file, like other paths.
  if (c.command[0].find('/') != std::string::npos) c.command[0] = ctx.resolve_path(c.command[0]);
  return c;
}

ProcessOptions Connector::process_options(const std::vector<std::string>& args, const sdk::Host& host,
                                          std::function<void(const sdk::Host&, std::string_view)> on_line) const {
  ProcessOptions p;
  p.argv = command;
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.cwd = working_dir;
  p.env = env;
  p.on_stderr = [host, on_line = std::move(on_line), redact = redact](std::string_view line) {
    const std::string clean = redact(line);
    if (on_line) on_line(host, clean);
    else host.info(clean);
  };
  return p;
}

std::string Connector::failure(const Process& p, int status, std::string_view what) const {
  std::string tail = p.stderr_tail();
  return redact(std::string(what) + " (" + Process::describe_status(status) + ")" +
                (tail.empty() ? "" : "; its last stderr lines:\n" + tail));
}

std::string Connector::run_to_end(const std::vector<std::string>& args, const sdk::Host& host,
                                  const sdk::Instance& owner, const std::function<void(const std::string&)>& on_line,
                                  std::string_view what) const {
  Process p(process_options(args, host));
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(command_timeout_ms);
  std::string line;
  for (;;) {
    if (owner.cancelled() || host.cancelled()) throw sdk::cancelled_error();
    if (std::chrono::steady_clock::now() > until)
      throw sdk::io_error(std::string(what) + " took longer than command_timeout");
    Process::Read r = p.read_line(line, std::chrono::milliseconds(100));
    if (r == Process::Read::End) break;
    if (r == Process::Read::Line) on_line(line);
  }
  const int status = p.wait();
  return status == 0 ? std::string() : failure(p, status, what);
}

std::vector<sdk::OptionSpec> connector_options() { return connector_settings().specs(); }

}  // namespace ingestd::kit::child
