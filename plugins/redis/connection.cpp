#include "connection.hpp"

#include <ingestd/sdk/error.hpp>

#include <charconv>

namespace ingestd::plugins::redis {

using namespace ingestd::sdk;

Address parse_url(const std::string& url) {
  constexpr std::string_view scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) throw config_error("url must start with redis:// (redis://[:password@]host:port[/db])");
  Address a;
  std::string rest = url.substr(scheme.size());
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    if (colon == std::string::npos) {
      a.password = credentials;
    } else {
      a.user = credentials.substr(0, colon);
      a.password = credentials.substr(colon + 1);
    }
  }
  std::string hostport = rest;
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    hostport = rest.substr(0, slash);
    const std::string db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), a.database);
      if (ec != std::errc() || end != db.data() + db.size() || a.database < 0)
        throw config_error("url: the database after / must be a number, not '" + db + "'");
    }
  }
  if (const auto colon = hostport.rfind(':'); colon != std::string::npos) {
    const std::string port = hostport.substr(colon + 1);
    hostport = hostport.substr(0, colon);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
    if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 || a.port > 65535)
      throw config_error("url: '" + port + "' is no port");
  }
  if (!hostport.empty()) a.host = hostport;
  a.shown = "redis://" + (a.password.empty() ? std::string() : a.user + ":***@") + a.host + ":" +
            std::to_string(a.port) + "/" + std::to_string(a.database);
  return a;
}

namespace {

std::vector<const char*> pointers(const std::vector<std::string>& argv, std::vector<size_t>& sizes) {
  std::vector<const char*> p;
  sizes.clear();
  for (const auto& a : argv) {
    p.push_back(a.data());
    sizes.push_back(a.size());
  }
  return p;
}

}  // namespace

Connection::Connection(const Address& address, std::chrono::milliseconds timeout)
    : address_(address), context_(nullptr, &redisFree) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  context_.reset(redisConnectWithTimeout(address.host.c_str(), address.port, tv));
  if (!context_) throw io_error("redis: out of memory connecting to " + address.shown, true);
  if (context_->err) fail("cannot connect");
  redisSetTimeout(context_.get(), tv);
  if (!address.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!address.user.empty()) auth.push_back(address.user);
    auth.push_back(address.password);
    Reply r = command_allowing_errors(auth);
    if (r->type == REDIS_REPLY_ERROR)
      throw config_error("redis at " + address.shown + " refused the password: " + text_of(r.get()));
  }
  if (address.database != 0) command({"SELECT", std::to_string(address.database)});
}

void Connection::fail(const std::string& what) const {
  throw io_error("redis at " + address_.shown + ": " + what + ": " + (context_ ? context_->errstr : "no connection"), true);
}

Reply Connection::command_allowing_errors(const std::vector<std::string>& argv) {
  std::vector<size_t> sizes;
  std::vector<const char*> p = pointers(argv, sizes);
  void* raw = redisCommandArgv(context_.get(), static_cast<int>(argv.size()), p.data(), sizes.data());
  if (!raw) fail(argv.empty() ? "command failed" : argv[0] + " failed");
  return Reply(static_cast<redisReply*>(raw));
}

Reply Connection::command(const std::vector<std::string>& argv) {
  Reply r = command_allowing_errors(argv);
  if (r->type == REDIS_REPLY_ERROR) throw data_error("redis " + argv[0] + ": " + text_of(r.get()));
  return r;
}

void Connection::append(const std::vector<std::string_view>& argv) {
  std::vector<const char*> p;
  std::vector<size_t> sizes;
  for (const auto& a : argv) {
    p.push_back(a.data());
    sizes.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), p.data(), sizes.data()) != REDIS_OK)
    fail("cannot queue a command");
}

Reply Connection::reply() {
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK || !raw) fail("no reply");
  return Reply(static_cast<redisReply*>(raw));
}

std::string text_of(const redisReply* r) {
  if (!r) return {};
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return {};
}

}  // namespace ingestd::plugins::redis
