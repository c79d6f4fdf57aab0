#include "pump/run_stop.hpp"

namespace ingestd {

void RunStop::request() {
  std::lock_guard lock(mutex_);
  flag_ = true;
  if (action_) action_();
}

void RunStop::on_request(std::function<void()> action) {
  std::lock_guard lock(mutex_);
  action_ = std::move(action);
  if (flag_ && action_) action_();
}

}  // namespace ingestd
