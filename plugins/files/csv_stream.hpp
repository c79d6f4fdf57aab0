// The CSV side of the files source: schema inference from a sample, then a
// streaming parse of every matched file into record batches.
#pragma once

#include "source_options.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace files {

class FileProgress;

// The schema a sample of the files implies (declared columns keep their
// declared types). Columns of later files with new names are added.
ingestd::sdk::Schema infer_csv_schema(const SourceOptions& options, const std::vector<std::string>& paths);

std::unique_ptr<ingestd::sdk::SourceStream> open_csv_stream(const SourceOptions& options,
                                                            std::vector<std::string> paths,
                                                            const ingestd::sdk::StreamRequest& request,
                                                            const ingestd::sdk::Instance& owner,
                                                            FileProgress* progress);

}  // namespace files
