// What the singer and airbyte sources share about the connector they run:
// its command, its config (with secrets kept apart so that the host redacts
// them), a redactor for everything the connector prints, and a relay of its
// stderr into ingestd's log.
#pragma once

#include <ingestd/kit/child/process.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ingestd::kit::child {

// Replaces known secret values in text with ***.
class Redactor {
 public:
  void add(const std::string& secret);
  // Every string in `v` (recursively).
  void add_all(const json::Value& v);
  // Strings under keys that name credentials (password, token, secret, key…).
  void add_credential_like(const json::Value& v);
  std::string operator()(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;  // longest first
};

struct Connector {
  std::vector<std::string> command;
  json::Value config;  // `config` with `secrets` merged in
  Redactor redact;
  std::string working_dir;
  std::vector<std::pair<std::string, std::string>> env;
  int64_t command_timeout_ms = 0;  // commands other than reads (discover, spec, check)
  int64_t max_batch_age_ms = 0;

  // Reads the options connector_options() describes.
  static Connector from_options(const sdk::CreateContext& ctx);

  // Starts the connector with `args` after its command; its stderr lines go to
  // `host`'s log (redacted) through `on_stderr_line`, which may reclassify them.
  ProcessOptions process_options(const std::vector<std::string>& args, const sdk::Host& host,
                                 std::function<void(const sdk::Host&, std::string_view)> on_stderr_line = {}) const;

  // "the connector failed (exit code 1): <last stderr lines>", redacted.
  std::string failure(const Process& p, int status, std::string_view what) const;

  // Runs a short command (discover, spec, check) to its end, handing each
  // stdout line to `on_line`; `what` names it in errors. Throws when it runs
  // past command_timeout or `owner` is cancelled. Returns "" when it exited
  // with 0, else what failure() says.
  std::string run_to_end(const std::vector<std::string>& args, const sdk::Host& host, const sdk::Instance& owner,
                         const std::function<void(const std::string&)>& on_line, std::string_view what) const;
};

// The option specs every connector source has.
std::vector<sdk::OptionSpec> connector_options();

}  // namespace ingestd::kit::child
