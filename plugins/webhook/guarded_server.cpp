#include "guarded_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

namespace ingestd::plugins::webhook {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kNoDeadline = Clock::time_point::max();
// How often a waiting connection looks whether the server is stopping.
constexpr auto kStopCheck = std::chrono::milliseconds(100);

// One thread per connection, up to a bound: a connection waiting on a slow
// client blocks nobody else. Threads stay for reuse until the server stops.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(std::size_t max_threads) : max_(max_threads) {}

  void enqueue(std::function<void()> job) override {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    if (jobs_.size() > idle_ && threads_.size() < max_) threads_.emplace_back([this] { work(); });
    ready_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        ++idle_;
        ready_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        --idle_;
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  const std::size_t max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

std::string address_of(const sockaddr_storage& a, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  port = 0;
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return text;
}

std::string peer_address(int fd, int& port) {
  sockaddr_storage a{};
  socklen_t length = sizeof a;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&a), &length) != 0) return port = 0, "";
  return address_of(a, port);
}

// A connection's socket as httplib reads and writes it: buffered reads that
// fail once the current deadline passes, writes bounded by write_timeout, and
// both giving up when the server stops.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int fd, const ConnectionLimits& limits, std::function<bool()> stopping)
      : fd_(fd), limits_(limits), stopping_(std::move(stopping)) {}

  void read_by(Clock::time_point deadline) { deadline_ = deadline; }
  void close_after_answer() { close_ = true; }
  bool closing() const { return close_; }
  bool timed_out() const { return timed_out_; }

  // Waits up to idle_timeout for the first byte of the next request; false
  // when none comes, the client left, or the server stops.
  bool next_request_arrives() {
    if (pos_ < end_) return true;
    return wait(POLLIN, Clock::now() + limits_.idle_timeout) && fill() > 0;
  }

  bool is_readable() const override { return pos_ < end_ || wait_for_data(); }
  bool is_writable() const override { return wait(POLLOUT, Clock::now() + limits_.write_timeout); }

  ssize_t read(char* out, size_t size) override {
    if (pos_ == end_) {
      if (!wait_for_data()) return -1;
      if (const ssize_t got = fill(); got <= 0) return got;
    }
    const std::size_t n = std::min(size, end_ - pos_);
    std::memcpy(out, buffer_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* data, size_t size) override {
    // Past the deadline the library's own answer (a 400) is dropped; the
    // connection answers 408 itself.
    if (timed_out_) return static_cast<ssize_t>(size);
    return send_all(data, size) ? static_cast<ssize_t>(size) : -1;
  }

  bool send_all(const char* data, std::size_t size) const {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::send(fd_, data + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!wait(POLLOUT, Clock::now() + limits_.write_timeout)) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = peer_address(fd_, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t length = sizeof a;
    ip.clear();
    port = 0;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length) == 0) ip = address_of(a, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  bool wait_for_data() const {
    if (wait(POLLIN, deadline_)) return true;
    if (Clock::now() >= deadline_) timed_out_ = true;
    return false;
  }

  ssize_t fill() {
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer_, sizeof buffer_, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      pos_ = 0;
      end_ = n > 0 ? static_cast<std::size_t>(n) : 0;
      return n;
    }
  }

  // poll() in short slices, so that a stopping server is noticed.
  bool wait(short events, Clock::time_point deadline) const {
    for (;;) {
      if (stopping_()) return false;
      const auto now = Clock::now();
      if (now >= deadline) return false;
      const auto slice = std::min<Clock::duration>(deadline - now, kStopCheck);
      pollfd p{fd_, events, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }

  const int fd_;
  const ConnectionLimits& limits_;
  std::function<bool()> stopping_;
  Clock::time_point deadline_ = kNoDeadline;
  mutable bool timed_out_ = false;
  bool close_ = false;
  char buffer_[16 * 1024];
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

// The request being handled on this thread, for reading_body()/body_read().
thread_local DeadlineStream* current_stream = nullptr;
thread_local const ConnectionLimits* current_limits = nullptr;

// An answer of the connection's own, which ends it.
void answer(DeadlineStream& stream, int status, const char* reason, const std::string& why) {
  const std::string body = "{\"error\": \"" + why + "\"}";
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                     "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (status == 503) head += "Retry-After: 1\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  stream.send_all((head + body).data(), head.size() + body.size());
}

// Closing with unread input resets the connection, and a client still
// sending (a body refused unread) may then never see its answer: half-close,
// read what still comes while it keeps coming (a client busy elsewhere may
// pause for a while), then close. A client that reads its answer and closes
// ends this at once.
void close_gently(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[16 * 1024];
  const auto until = Clock::now() + std::chrono::seconds(3);
  constexpr int kLongestPauseMs = 1000;
  pollfd p{fd, POLLIN, 0};
  while (Clock::now() < until && ::poll(&p, 1, kLongestPauseMs) > 0 &&
         ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
  ::close(fd);
}

}  // namespace

GuardedServer::GuardedServer(ConnectionLimits limits) : limits_(limits) {
  const auto threads = static_cast<std::size_t>(limits_.max_connections) + 16;  // headroom to answer 503s
  new_task_queue = [threads] { return new ConnectionThreads(threads); };
}

bool GuardedServer::listen_on(const std::string& host, int port) {
  // listen() again on a listening socket sets its backlog (SOMAXCONN is
  // capped by net.core.somaxconn).
  return bind_to_port(host.c_str(), port) && ::listen(svr_sock_, SOMAXCONN) == 0;
}

void GuardedServer::reading_body() {
  if (current_stream) current_stream->read_by(Clock::now() + current_limits->body_timeout);
}

void GuardedServer::body_read() {
  if (current_stream) current_stream->read_by(kNoDeadline);
}

void GuardedServer::close_after_answer() {
  if (current_stream) current_stream->close_after_answer();
}

bool GuardedServer::stopping() const { return svr_sock_ == INVALID_SOCKET; }

std::string GuardedServer::admit(const std::string& client) {
  std::lock_guard lock(mutex_);
  if (open_ >= limits_.max_connections) return "too many connections (max_connections)";
  int& mine = per_client_[client];
  if (mine >= limits_.max_connections_per_client) {
    if (mine == 0) per_client_.erase(client);
    return "too many connections from " + client + " (max_connections_per_client)";
  }
  ++mine;
  ++open_;
  return "";
}

void GuardedServer::leave(const std::string& client) {
  std::lock_guard lock(mutex_);
  --open_;
  if (auto it = per_client_.find(client); it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  int port = 0;
  const std::string client = peer_address(sock, port);
  DeadlineStream stream(sock, limits_, [this] { return stopping(); });
  if (const std::string refusal = admit(client); !refusal.empty()) {
    ++refused_;
    answer(stream, 503, "Service Unavailable", refusal);
    close_gently(sock);
    return true;
  }
  current_stream = &stream;
  current_limits = &limits_;
  for (int left = limits_.max_requests_per_connection; left > 0 && !stopping(); --left) {
    if (!stream.next_request_arrives()) break;
    stream.read_by(Clock::now() + limits_.header_timeout);
    bool closed = false;
    const bool ok = process_request(stream, left == 1, closed, nullptr);
    if (stream.timed_out()) {
      ++timed_out_;
      answer(stream, 408, "Request Timeout",
                       "the request did not arrive in time (header_timeout, body_timeout)");
      break;
    }
    if (!ok || closed || stream.closing()) break;
  }
  current_stream = nullptr;
  current_limits = nullptr;
  leave(client);
  close_gently(sock);
  return true;
}

}  // namespace ingestd::plugins::webhook
