// One ingestd stream read from an Airbyte source's `read`, with a configured
// catalog naming only that stream. RECORD → rows; STATE → checkpoints (STREAM,
// GLOBAL and LEGACY kept exactly as emitted, compressed forms untouched);
// TRACE errors fail the stream with their failure_type; TRACE estimates are
// counted; LOG lines go to ingestd's log; other message types are ignored.
#pragma once

#include <ingestd/kit/child/connector.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>

namespace ingestd::plugins::airbyte {

struct ReadRun {
  const ingestd::kit::child::Connector* connector = nullptr;
  std::string stream;
  std::string configured_catalog;  // JSON
  std::vector<ingestd::sdk::Field> fields;
  bool incremental = false;
};

std::unique_ptr<ingestd::sdk::SourceStream> open_read_stream(const ReadRun& run, const ingestd::sdk::StreamRequest& r,
                                                             const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::airbyte
