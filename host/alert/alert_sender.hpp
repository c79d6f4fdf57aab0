// Delivers alerts to the [alerts.NAME] sinks on a thread of its own, so that
// a slow or broken receiver never holds up a run: a webhook is POSTed the
// JSON document (retried with backoff, signed when a secret is set); a
// command is run with it on its standard input. What cannot be queued (more
// than kQueueLimit waiting) is dropped and said so.
#pragma once

#include "alert/alert.hpp"
#include "config/flow_file.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace ingestd {

class AlertSender {
 public:
  // Called for each delivery: sink name, event, result (sent, failed, dropped).
  using Outcome = std::function<void(const std::string& sink, const std::string& event, const std::string& result)>;

  explicit AlertSender(Outcome outcome);
  ~AlertSender();  // delivers what is queued, each attempt bounded, then stops
  AlertSender(const AlertSender&) = delete;
  AlertSender& operator=(const AlertSender&) = delete;

  // The sinks as the current configuration defines them.
  void configure(const std::vector<AlertSinkDef>& sinks);
  // Queues `alert` for each named sink.
  void send(const std::vector<std::string>& sinks, const Alert& alert);

  static constexpr std::size_t kQueueLimit = 1000;

 private:
  struct Delivery {
    AlertSinkDef sink;
    Alert alert;
  };
  void work();
  bool deliver(const Delivery& d);

  Outcome outcome_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<std::string, AlertSinkDef> sinks_;
  std::deque<Delivery> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ingestd
