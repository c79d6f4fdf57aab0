// One connection to a Redis server (hiredis), from a redis:// URL, with
// commands as argument vectors, so that no value is ever spliced into a
// command line. Errors never show the URL's password.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::redis {

struct Address {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // ACL user (Redis 6), empty: the default user
  std::string password;  // secret
  int database = 0;
  std::string shown;  // the URL without its password, for messages
};

// redis://[[user]:password@]host[:port][/db]; throws a config error naming
// what is wrong (never the password).
Address parse_url(const std::string& url);

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class Connection {
 public:
  Connection(const Address& address, std::chrono::milliseconds timeout);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and reads its reply; an error reply throws (a data
  // error naming the command's verb), so does a broken connection (transient).
  Reply command(const std::vector<std::string>& argv);
  // Like command, but an error reply is returned rather than thrown.
  Reply command_allowing_errors(const std::vector<std::string>& argv);

  // Pipelining: append commands, then read their replies in order.
  void append(const std::vector<std::string_view>& argv);
  Reply reply();

  const Address& address() const { return address_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;

  Address address_;
  std::unique_ptr<redisContext, void (*)(redisContext*)> context_;
};

// The text of a string or status reply ("" for nil).
std::string text_of(const redisReply* r);

}  // namespace ingestd::plugins::redis
