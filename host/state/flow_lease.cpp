#include "state/flow_lease.hpp"

#include "log/logging.hpp"
#include "util/process.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <random>
#include <unistd.h>

namespace ingestd {

namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const std::string& flow, const LeaseHolder& h) {
  return "flow " + flow + " is being run by pid " + std::to_string(h.pid) + " on host " + h.host + " since " + h.since +
         " (run " + h.owner + ")";
}

}  // namespace

FlowLeases::FlowLeases(StateStore& store, std::vector<std::string> flows, const std::string& run_id, Options options)
    : store_(store), flows_(std::move(flows)), options_(std::move(options)) {
  // Sorted and unique, so that two runs waiting for overlapping sets claim
  // in the same order.
  std::sort(flows_.begin(), flows_.end());
  flows_.erase(std::unique(flows_.begin(), flows_.end()), flows_.end());
  me_ = {run_id, static_cast<int64_t>(getpid()), this_host(), utc_timestamp()};
  const auto give_up_at = options_.wait ? Clock::now() + *options_.wait : Clock::time_point::max();
  std::mt19937 jitter(std::random_device{}());
  bool said = false;
  for (;;) {
    std::string busy = try_all();
    if (busy.empty()) break;
    if (Clock::now() >= give_up_at || (options_.cancelled && *options_.cancelled)) throw FlowBusyError(busy);
    if (!said) log::info(busy + "; waiting for it to finish");
    said = true;
    const auto pause = std::chrono::milliseconds(500 + jitter() % 500);
    for (auto until = std::min(Clock::now() + pause, give_up_at); Clock::now() < until;) {
      if (options_.cancelled && *options_.cancelled) throw FlowBusyError(busy);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  renewer_ = std::thread([this] { renew_loop(); });
}

FlowLeases::~FlowLeases() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  for (const auto& f : flows_) {
    try {
      store_.release_lease(f, me_.owner);
    } catch (const std::exception& e) {  // it expires by itself
      log::warn("cannot release the lease of flow " + f + ": " + e.what());
    }
  }
}

LeaseFence FlowLeases::fence(const std::string& flow) const {
  const auto it = epochs_.find(flow);
  if (it == epochs_.end()) throw std::logic_error("flow " + flow + " is not held by this run");
  return {flow, me_.owner, it->second, ""};
}

std::string FlowLeases::try_all() {
  std::vector<std::string> taken;
  std::string busy;
  epochs_.clear();
  for (const auto& f : flows_) {
    std::optional<int64_t> ours = store_.claim_lease(f, me_, options_.ttl_seconds);
    if (!ours) {
      std::optional<LeaseHolder> holder = store_.lease_holder(f);
      if (holder && process_gone(holder->host, holder->pid)) {
        log::warn("flow " + f + ": the run that held it (pid " + std::to_string(holder->pid) +
                  ") ended without releasing it; taking it over");
        store_.release_lease(f, holder->owner);
        ours = store_.claim_lease(f, me_, options_.ttl_seconds);
      } else if (!holder) {
        ours = store_.claim_lease(f, me_, options_.ttl_seconds);  // released meanwhile
      }
      if (!ours) {
        holder = store_.lease_holder(f);
        busy = holder ? describe(f, *holder) : "flow " + f + " is being run by another process";
        break;
      }
    }
    taken.push_back(f);
    epochs_[f] = *ours;
  }
  if (!busy.empty())
    for (const auto& f : taken) store_.release_lease(f, me_.owner);
  return busy;
}

void FlowLeases::renew_loop() {
  const auto every = std::chrono::seconds(std::max(1, options_.ttl_seconds / 3));
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
    lock.unlock();
    for (const auto& f : flows_) {
      try {
        if (!store_.renew_lease(f, me_.owner, epochs_.at(f), options_.ttl_seconds)) {
          log::error("flow " + f + ": lost its lease to another run (this one did not renew it in time); stopping");
          if (options_.on_lost) options_.on_lost(f);
        }
      } catch (const std::exception& e) {  // the next renewal may pass; the lease outlives a few misses
        log::warn("cannot renew the lease of flow " + f + ": " + e.what());
      }
    }
    lock.lock();
  }
}

}  // namespace ingestd
