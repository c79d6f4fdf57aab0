// The JSON Lines side of the files source: one object per line, parsed with
// simdjson; nested objects and arrays are kept as JSON text.
#pragma once

#include "source_options.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::files {

class FileProgress;

ingestd::sdk::Schema infer_jsonl_schema(const SourceOptions& options, const std::vector<std::string>& paths);

// Reads `paths` in order. `known` (every file the source lists) gives the
// schema when there is nothing to read, so that an idle incremental run
// reports the columns the stream has rather than none.
std::unique_ptr<ingestd::sdk::SourceStream> open_jsonl_stream(const SourceOptions& options, std::vector<std::string> paths,
    const std::vector<std::string>& known, const ingestd::sdk::StreamRequest& request,
    const ingestd::sdk::Instance& owner, FileProgress* progress);

}  // namespace ingestd::plugins::files
