// The files plugin's options: declared once, bound to the members of
// FileOptions (defaults are their initial values), then checked and turned
// into what each role needs.
#pragma once

#include "file_table.hpp"
#include "source_options.hpp"

#include <ingestd/sdk/bound_options.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ingestd::plugins::files {

struct FileOptions {
  std::filesystem::path path;
  std::string format = "auto";
  std::string stream;  // empty: named after the files
  bool header = true;
  std::string delimiter = ",";
  std::string quote = "\"";
  json::Value columns;
  std::vector<std::string> null_values;
  int64_t sample_rows = 1000;
  bool follow_symlinks = false;
  sdk::Bytes max_record_bytes{int64_t{16} << 20};
  std::string on_error = "fail";
  std::string dead_letter;  // empty: .ingestd/dead-letter/SOURCE/STREAM.jsonl
};

const sdk::BoundOptions<FileOptions>& file_options();

// Throw a config error naming the option at fault.
SourceOptions source_options(const FileOptions& o, const sdk::CreateContext& ctx);
DestinationOptions destination_options(const FileOptions& o);

}  // namespace ingestd::plugins::files
