// A redis-server of one test (Debian's), on 127.0.0.1 and a free port, its
// files in a temporary folder, stopped when the object goes; and a client.
#pragma once

#include "support/files.hpp"

#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace testing {

class RedisServer {
 public:
  // `password` empty: none asked.
  explicit RedisServer(const std::string& password = "");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://[:password@]127.0.0.1:PORT
  std::string url() const;

  // One command; the reply as text: a string or number as it is, an array as
  // its elements joined by "," (nested arrays in brackets), nil as "(nil)".
  std::string command(const std::vector<std::string>& argv);
  // XADD of `count` entries {id, name, amount} with ids from `first` to `key`, pipelined.
  void add_entries(const std::string& key, long count, long first = 1);
  // Entries of `group` delivered and not yet acknowledged.
  long pending(const std::string& key, const std::string& group);

 private:
  TempDir dir_;
  std::string password_;
  int port_ = 0;
  int pid_ = -1;
  std::unique_ptr<redisContext, void (*)(redisContext*)> client_;
};

}  // namespace testing
