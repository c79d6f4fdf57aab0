// Helpers for tests of `ingestd serve`: the daemon started on a flow file
// with its log in a file, its admin endpoint, and the run history.
#pragma once

#include "e2e.hpp"
#include "serve/prometheus_text.hpp"
#include "support/net.hpp"

#include <ingestd/sdk/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace serve {

using e2e::Workspace;

class Daemon {
 public:
  // Starts `ingestd serve flows.toml --listen 127.0.0.1:PORT` in `w`, and
  // waits for its admin endpoint (false from started() when it never came).
  explicit Daemon(const Workspace& w, const std::vector<std::string>& extra_args = {},
                  const std::map<std::string, std::string>& env = {});

  bool started() const { return started_; }
  int port() const { return port_; }
  std::string log() const;
  // Waits for `needle` in the log.
  bool wait_for_log(const std::string& needle, double seconds = 60) const;

  testing::HttpReply get(const std::string& path, const std::string& headers = "") const;
  testing::HttpReply post(const std::string& path, const std::string& headers = "") const;
  ingestd::json::Value status() const;
  testing::Exposition metrics() const;  // parsed strictly; a malformed exposition fails the test
  // The flow's entry in /status.
  ingestd::json::Value flow(const std::string& name) const;

  void signal(int sig) { child_->signal(sig); }
  e2e::Result wait() { return child_->wait(); }
  int pid() const { return child_->pid(); }

 private:
  const Workspace& w_;
  int port_;
  std::unique_ptr<testing::Child> child_;
  bool started_ = false;
};

// What the daemon logged so far in the workspace (serve.log); "" before it starts.
std::string log_of(const Workspace& w);

// Runs of `flow` in the run history, oldest first: run_id, status,
// started_at, ended_at. A run that failed before reading any stream is not
// among them.
std::vector<ingestd::json::Value> runs_of(const Workspace& w, const std::string& flow);

// Seconds between two RFC 3339 UTC timestamps of the run history.
double seconds_between(const std::string& from, const std::string& to);

}  // namespace serve
