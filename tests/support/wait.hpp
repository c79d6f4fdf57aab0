// Tests wait for a condition (a row, a lease, a port), never for a clock.
#pragma once

#include <chrono>
#include <functional>

namespace testing {

// Polls `condition` every 20 ms until it holds; false after `timeout`.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace testing
