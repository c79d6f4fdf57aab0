// A Singer catalog: the streams a tap offers (from --discover or a file), the
// stream infos ingestd shows for them, and the catalog a run selects one
// stream in.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <string>
#include <vector>

namespace ingestd::plugins::singer {

class Catalog {
 public:
  explicit Catalog(ingestd::json::Value catalog);

  std::vector<ingestd::sdk::StreamInfo> stream_infos() const;
  // The catalog entry of a stream, or null.
  const ingestd::json::Value* find(const std::string& stream) const;
  std::vector<std::string> names() const;

  // The catalog with only `stream` selected, its replication method and key
  // set for the extract mode (INCREMENTAL with `cursor`, or FULL_TABLE).
  std::string selecting(const std::string& stream, bool incremental, const std::string& cursor) const;

 private:
  ingestd::json::Value catalog_;
};

// The stream's name: tap_stream_id, else stream.
std::string stream_name(const ingestd::json::Value& entry);
// key_properties, else the table-key-properties metadata.
std::vector<std::string> key_properties(const ingestd::json::Value& entry);

}  // namespace ingestd::plugins::singer
