// A stream's rows appended to a Redis stream, one entry per row (XADD,
// pipelined; columns as fields, NULLs left out). A commit returns once every
// entry written since the last one was accepted (at-least-once).
#pragma once

#include "connection.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace ingestd::plugins::redis {

struct DestinationSettings {
  Address address;
  std::chrono::milliseconds timeout{10'000};
  std::string stream = "{stream}";  // {stream} and {table} are replaced
  int64_t maxlen = 0;               // > 0: MAXLEN ~ maxlen
};

std::unique_ptr<ingestd::sdk::DestinationTable> open_stream_writer(const DestinationSettings& settings,
                                                                  const ingestd::sdk::TableRequest& request);

}  // namespace ingestd::plugins::redis
