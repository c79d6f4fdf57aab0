// The admin endpoint of `ingestd serve`, on loopback unless told otherwise:
//   GET  /                     a status page: flows, freshness, charts of recent runs, last errors
//   GET  /healthz              200 while the process lives (no token asked)
//   GET  /readyz               200 when the configuration is loaded and the state store answers
//   GET  /metrics              Prometheus text format 0.0.4
//   GET  /status               JSON: each flow's schedule, state, last and next run; the last reload
//   POST /reload               reads the flow file again (as SIGHUP does)
//   POST /flows/NAME/run       runs a flow now; 409 while it runs
// With a token set ([serve] token), every endpoint but /healthz wants
// "Authorization: Bearer TOKEN".
#pragma once

#include <memory>
#include <string>
#include <thread>

namespace ingestd {

class ServeService;

class AdminServer {
 public:
  // Binds `listen` (ADDRESS:PORT; port 0 picks a free one) at once; throws
  // std::runtime_error when it cannot.
  AdminServer(ServeService& daemon, const std::string& listen);
  ~AdminServer();  // stops serving
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // "127.0.0.1:8686", with the port actually bound.
  const std::string& address() const { return address_; }

 private:
  class Http;
  ServeService& daemon_;
  std::unique_ptr<Http> http_;
  std::string address_;
  std::thread thread_;
};

}  // namespace ingestd
