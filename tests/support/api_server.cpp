#include "support/api_server.hpp"

#include "support/files.hpp"

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace testing {

ApiServer::ApiServer(const std::string& dir, const std::vector<std::string>& args) {
  const std::string port_file = dir + "/api-server.port";
  stats_path_ = dir + "/api-server.stats.json";
  std::vector<std::string> argv{"/usr/bin/python3", API_SERVER_SCRIPT, "--port-file", port_file, "--stats",
                                stats_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  Options o;
  o.timeout_seconds = 3600;
  child_ = std::make_unique<Child>(argv, o);
  for (int i = 0; i < 200 && !file_exists(port_file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  if (!file_exists(port_file)) {
    child_->signal(SIGKILL);
    Result r = child_->wait();
    throw std::runtime_error("the test API server did not start: " + r.err);
  }
  port_ = std::stoi(read_file(port_file));
}

ApiServer::~ApiServer() {
  child_->signal(SIGKILL);
  child_->wait();
}

ingestd::json::Value ApiServer::stats() const {
  if (!file_exists(stats_path_)) return ingestd::json::Value::parse("{\"requests\":{},\"statuses\":{},\"queries\":[]}");
  return ingestd::json::Value::parse(read_file(stats_path_));
}

int64_t ApiServer::requests(const std::string& path) const {
  const ingestd::json::Value s = stats();  // the value below points into it
  const auto& v = s["requests"][path];
  return v.is_int() ? v.as_int() : 0;
}

int64_t ApiServer::responses(int status) const {
  const ingestd::json::Value s = stats();  // the value below points into it
  const auto& v = s["statuses"][std::to_string(status)];
  return v.is_int() ? v.as_int() : 0;
}

std::vector<std::string> ApiServer::queries() const {
  std::vector<std::string> out;
  const ingestd::json::Value s = stats();  // alive for the loop
  for (const auto& q : s["queries"].as_array()) out.push_back(q.as_string());
  return out;
}

}  // namespace testing
