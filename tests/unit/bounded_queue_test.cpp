#include <doctest/doctest.h>

#include "pump/bounded_queue.hpp"

#include <atomic>
#include <chrono>
#include <thread>

using namespace ingestd;
using namespace std::chrono_literals;

TEST_CASE("queue: the producer blocks at the item limit until a consumer pops") {
  BoundedQueue<int> q(2, 1000);
  CHECK(q.push(1, 1));
  CHECK(q.push(2, 1));
  std::atomic<bool> third{false};
  std::thread producer([&] {
    q.push(3, 1);
    third = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(third.load());  // full: still waiting
  CHECK(q.pop() == 1);
  producer.join();
  CHECK(third.load());
  CHECK(q.peak_items() == 2);
}

TEST_CASE("queue: the byte limit holds, but one oversized item passes alone") {
  BoundedQueue<int> q(100, 10);
  CHECK(q.push(1, 6));
  std::atomic<bool> second{false};
  std::thread producer([&] {
    q.push(2, 6);  // 12 bytes would exceed 10
    second = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(second.load());
  CHECK(q.pop() == 1);
  producer.join();
  CHECK(q.bytes() == 6);
  CHECK(q.pop() == 2);
  CHECK(q.push(3, 50));  // larger than the limit, admitted into an empty queue
  CHECK(q.peak_bytes() == 50);
}

TEST_CASE("queue: close drains, abort drops") {
  BoundedQueue<int> q(10, 100);
  q.push(1, 1);
  q.push(2, 1);
  q.close();
  CHECK(q.pop() == 1);
  CHECK(q.pop() == 2);
  CHECK_FALSE(q.pop().has_value());

  BoundedQueue<int> a(1, 100);
  a.push(1, 1);
  std::thread blocked([&] { CHECK_FALSE(a.push(2, 1)); });
  std::this_thread::sleep_for(20ms);
  a.abort();
  blocked.join();
  CHECK_FALSE(a.pop().has_value());
}
