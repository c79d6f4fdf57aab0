// One Redis stream read through a consumer group: entries as rows (their
// fields as columns, typed like CSV values; the id as _redis_id). An entry
// is acknowledged (XACK) only once the checkpoint of its batch was saved, so
// a crash leaves it pending, and pending entries of a consumer that is gone
// are claimed (XAUTOCLAIM) once idle for claim_idle: nothing is lost, and a
// merge on _redis_id absorbs an entry delivered twice.
#pragma once

#include "connection.hpp"

#include <ingestd/kit/typing/columns.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::redis {

struct SourceSettings {
  Address address;
  std::chrono::milliseconds timeout{10'000};
  std::string group;     // empty: ingestd_<flow>
  std::string consumer;  // empty: host name and process id
  bool start_earliest = true;
  std::chrono::milliseconds claim_idle{60'000};
  std::vector<kit::typing::DeclaredColumn> columns;
  bool skip_malformed = false;
  std::chrono::milliseconds max_batch_age{200};
};

std::unique_ptr<ingestd::sdk::SourceStream> open_stream_reader(const SourceSettings& settings,
                                                              const ingestd::sdk::StreamRequest& request,
                                                              const ingestd::sdk::Instance& owner);

// The consumer name used when none is set: host name and process id.
std::string default_consumer();

}  // namespace ingestd::plugins::redis
