// What the files source reads by: its options, checked once (options.hpp).
#pragma once

#include "file_set.hpp"

#include <ingestd/kit/typing/columns.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ingestd::plugins::files {

using kit::typing::DeclaredColumn;

struct SourceOptions {
  FileSet files;
  std::string format_option;  // auto | csv | jsonl
  std::string stream;         // the stream's name
  bool header = true;
  char delimiter = ',';
  char quote = '"';
  std::vector<DeclaredColumn> columns;
  std::vector<std::string> null_values;
  int64_t sample_rows = 1000;
  std::size_t max_record_bytes = std::size_t{16} << 20;
  bool skip_bad_records = false;  // on_error = skip
  std::string dead_letter_path;

  const DeclaredColumn* declared(const std::string& name) const;
};

}  // namespace ingestd::plugins::files
