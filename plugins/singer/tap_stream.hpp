// One ingestd stream read from a Singer tap run with only that stream
// selected: SCHEMA → the Arrow schema (and schema changes), RECORD → rows,
// STATE → the checkpoint of the batch that ends at the RECORD before it,
// ACTIVATE_VERSION → counted (replace semantics come from the flow's load).
#pragma once

#include <ingestd/kit/child/connector.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::singer {

struct TapRun {
  const ingestd::kit::child::Connector* connector = nullptr;
  std::string catalog_json;  // with only this stream selected
  std::string stream;        // its name in RECORD/SCHEMA messages
  std::vector<ingestd::sdk::Field> catalog_fields;  // the catalog's columns for it
  bool incremental = false;
};

std::unique_ptr<ingestd::sdk::SourceStream> open_tap_stream(const TapRun& run, const ingestd::sdk::StreamRequest& r,
                                                            const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::singer
