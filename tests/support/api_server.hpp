// The test REST API (tests/http/api_server.py) running in a child process on
// 127.0.0.1, for the lifetime of the object.
#pragma once

#include "support/process.hpp"

#include <ingestd/sdk/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace testing {

class ApiServer {
 public:
  // `dir` holds its port and stats files; `args` as api_server.py takes them.
  ApiServer(const std::string& dir, const std::vector<std::string>& args = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // What the server saw so far (its stats file).
  ingestd::json::Value stats() const;
  // Requests served on `path` (query excluded).
  int64_t requests(const std::string& path) const;
  // How many responses had this status.
  int64_t responses(int status) const;
  // The request targets (path and query) in arrival order.
  std::vector<std::string> queries() const;

 private:
  std::string stats_path_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

}  // namespace testing
