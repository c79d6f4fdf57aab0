#include "serve/admin_server.hpp"

#include "log/logging.hpp"
#include "serve/serve_service.hpp"
#include "serve/status_page.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <stdexcept>

namespace ingestd {

namespace {

bool constant_time_equals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

void json_reply(httplib::Response& res, int status, const json::Value& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

json::Value message(const char* key, const std::string& text) {
  json::Object o;
  o.set(key, json::Value(text));
  return json::Value(std::move(o));
}

}  // namespace

// cpp-httplib listens with a backlog of 5; the socket is its member.
class AdminServer::Http : public httplib::Server {
 public:
  bool listen_on(const std::string& host, int port, int& bound) {
    if (port == 0) {
      bound = bind_to_any_port(host.c_str());
      if (bound < 0) return false;
    } else {
      if (!bind_to_port(host.c_str(), port)) return false;
      bound = port;
    }
    return ::listen(svr_sock_, SOMAXCONN) == 0;
  }
};

AdminServer::AdminServer(ServeService& daemon, const std::string& listen)
    : daemon_(daemon), http_(std::make_unique<Http>()) {
  const std::size_t colon = listen.rfind(':');
  const std::string host = listen.substr(0, colon);
  const int port = std::stoi(listen.substr(colon + 1));
  Http& http = *http_;

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/healthz") return httplib::Server::HandlerResponse::Unhandled;
    const std::string token = daemon_.token();
    if (token.empty() || constant_time_equals(req.get_header_value("Authorization"), "Bearer " + token))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    json_reply(res, 401, message("error", "this endpoint needs Authorization: Bearer TOKEN ([serve] token)"));
    return httplib::Server::HandlerResponse::Handled;
  });
  http.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(status_page_html(daemon_.status()), "text/html; charset=utf-8");
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::string why;
    if (daemon_.ready(why))
      res.set_content("ready\n", "text/plain");
    else
      json_reply(res, 503, message("error", why));
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(daemon_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/status", [this](const httplib::Request&, httplib::Response& res) { json_reply(res, 200, daemon_.status()); });
  http.Post("/reload", [this](const httplib::Request&, httplib::Response& res) {
    const ServeService::ReloadResult r = daemon_.reload();
    json_reply(res, r.ok ? 200 : 422, message(r.ok ? "message" : "error", r.message));
  });
  http.Post(R"(/flows/([^/]+)/run)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string flow = req.matches[1];
    switch (daemon_.trigger(flow)) {
      case ServeService::Trigger::Started: json_reply(res, 202, message("message", "flow " + flow + " runs now")); return;
      case ServeService::Trigger::AlreadyRunning:
        json_reply(res, 409, message("error", "flow " + flow + " is running; try again when it ends"));
        return;
      case ServeService::Trigger::NoSuchFlow: json_reply(res, 404, message("error", "no flow named '" + flow + "'")); return;
      case ServeService::Trigger::Stopping: json_reply(res, 503, message("error", "ingestd serve is stopping")); return;
    }
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty())
      json_reply(res, 404,
                 message("error", "no such endpoint: " + req.method + " " + req.path +
                                      " (GET /healthz, /readyz, /metrics, /status; POST /reload, /flows/NAME/run)"));
  });

  int bound = 0;
  if (!http.listen_on(host, port, bound))
    throw std::runtime_error("the admin endpoint cannot listen on " + listen + " (in use, or not an address of this host?)");
  address_ = host + ":" + std::to_string(bound);
  thread_ = std::thread([&http] { http.listen_after_bind(); });
  log::info("admin endpoint listening on http://" + address_ + " (/metrics, /status, /healthz, /readyz)");
}

AdminServer::~AdminServer() {
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ingestd
