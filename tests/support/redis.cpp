#include "support/redis.hpp"

#include "support/net.hpp"

#include <hiredis/hiredis.h>

#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace testing {

namespace {

std::string text(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    case REDIS_REPLY_NIL: return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) out += ",";
        const std::string inner = text(r->element[i]);
        out += r->element[i]->type == REDIS_REPLY_ARRAY ? "[" + inner + "]" : inner;
      }
      return out;
    }
    default: return "";
  }
}

}  // namespace

RedisServer::RedisServer(const std::string& password) : password_(password), client_(nullptr, &redisFree) {
  port_ = free_port();
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--dir", dir_.path(), "--save", "", "--appendonly", "no", "--daemonize", "no",
                                     "--logfile", dir_ / "redis.log"};
    if (!password.empty()) args.insert(args.end(), {"--requirepass", password});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  if (!wait_listening(port_, 30)) throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
  client_.reset(redisConnect("127.0.0.1", port_));
  if (!client_ || client_->err) throw std::runtime_error("cannot connect to the test redis-server");
  if (!password.empty()) command({"AUTH", password});
}

RedisServer::~RedisServer() {
  client_.reset();
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

std::string RedisServer::url() const {
  return "redis://" + (password_.empty() ? std::string() : ":" + password_ + "@") + "127.0.0.1:" + std::to_string(port_);
}

std::string RedisServer::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> sizes;
  for (const auto& a : args) {
    argv.push_back(a.data());
    sizes.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(client_.get(), static_cast<int>(argv.size()), argv.data(), sizes.data()));
  if (!r) throw std::runtime_error("redis: no reply to " + args[0]);
  const std::string out = text(r);
  const bool error = r->type == REDIS_REPLY_ERROR;
  freeReplyObject(r);
  if (error) throw std::runtime_error("redis " + args[0] + ": " + out);
  return out;
}

void RedisServer::add_entries(const std::string& key, long count, long first) {
  for (long id = first; id < first + count; ++id) {
    const std::string ids = std::to_string(id), name = "n" + ids, amount = ids + ".5";
    const char* argv[] = {"XADD", key.c_str(), "*", "id", ids.c_str(), "name", name.c_str(), "amount", amount.c_str()};
    redisAppendCommandArgv(client_.get(), 9, argv, nullptr);
  }
  for (long i = 0; i < count; ++i) {
    void* r = nullptr;
    if (redisGetReply(client_.get(), &r) != REDIS_OK) throw std::runtime_error("redis: XADD failed");
    freeReplyObject(r);
  }
}

long RedisServer::pending(const std::string& key, const std::string& group) {
  const std::string summary = command({"XPENDING", key, group});  // count,first,last,[consumers]
  return std::stol(summary.substr(0, summary.find(',')));
}

}  // namespace testing
