// The CSV side of the files source: schema inference from a sample, then a
// streaming parse of every matched file into record batches.
#pragma once

#include "source_options.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::files {

class FileProgress;

// The schema a sample of the files implies (declared columns keep their
// declared types). Columns of later files with new names are added.
ingestd::sdk::Schema infer_csv_schema(const SourceOptions& options, const std::vector<std::string>& paths);

// Reads `paths` in order. `known` (every file the source lists) gives the
// schema when there is nothing to read, so that an idle incremental run
// reports the columns the stream has rather than none.
std::unique_ptr<ingestd::sdk::SourceStream> open_csv_stream(const SourceOptions& options, std::vector<std::string> paths,
    const std::vector<std::string>& known, const ingestd::sdk::StreamRequest& request,
    const ingestd::sdk::Instance& owner, FileProgress* progress);

}  // namespace ingestd::plugins::files
