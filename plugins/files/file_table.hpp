// The files destination: one CSV or JSON Lines file per stream in a folder.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>

namespace ingestd::plugins::files {

struct DestinationOptions {
  std::string dir;
  std::string format;  // csv | jsonl
  bool header = true;
  char delimiter = ',';
  char quote = '"';
};

std::unique_ptr<ingestd::sdk::DestinationTable> open_file_table(const DestinationOptions& options,
                                                                const ingestd::sdk::TableRequest& request);

}  // namespace ingestd::plugins::files
