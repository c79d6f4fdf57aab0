// The JSON Lines side of the files source: one object per line, parsed with
// simdjson; nested objects and arrays are kept as JSON text.
#pragma once

#include "source_options.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace files {

class FileProgress;

ingestd::sdk::Schema infer_jsonl_schema(const SourceOptions& options, const std::vector<std::string>& paths);

std::unique_ptr<ingestd::sdk::SourceStream> open_jsonl_stream(const SourceOptions& options,
                                                              std::vector<std::string> paths,
                                                              const ingestd::sdk::StreamRequest& request,
                                                              const ingestd::sdk::Instance& owner,
                                                            FileProgress* progress);

}  // namespace files
