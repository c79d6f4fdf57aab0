// One topic read by a consumer of the flow's group: each message a row with
// its partition, offset, timestamp, key and headers. The checkpoint holds
// the next offset of every partition ({"offsets": {"0": 1200, "3": 77}});
// offsets are committed to the group only after ingestd saved them, and a
// partition assigned to this consumer starts from ingestd's saved offset
// when there is one (the group's otherwise).
#pragma once

#include "client.hpp"

#include <ingestd/kit/typing/columns.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::kafka {

enum class Format { Json, Text, Raw };

struct SourceSettings {
  ClientSettings client;
  std::string group_id;  // empty: ingestd_<flow>
  Format format = Format::Json;
  bool start_earliest = true;
  bool skip_malformed = false;  // on_error = "skip"
  std::vector<kit::typing::DeclaredColumn> columns;  // declared JSON columns
  std::chrono::milliseconds max_batch_age{200};
  std::chrono::milliseconds assignment_timeout{60'000};
};

// The columns every row carries before the message's own.
ingestd::sdk::Schema metadata_columns(Format format);

std::unique_ptr<ingestd::sdk::SourceStream> open_topic_stream(const SourceSettings& settings,
                                                             const ingestd::sdk::StreamRequest& request,
                                                             const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::kafka
