// Which files a `path` option means (a file, a directory, or a glob), in
// which format, and what the stream is called by default.
#pragma once

#include <string>
#include <vector>

namespace ingestd::plugins::files {

enum class Format { Csv, Jsonl };

struct FileSet {
  std::string pattern;  // the path as resolved against the flow file's folder
  bool is_pattern = false;  // a directory or a glob: may match more files later
  // Whether a symbolic link a folder or glob matches is read (what it points
  // to). Off by default: a link in a landing folder may point anywhere
  // (/etc/shadow). A plain file named in `path` is read even when a link.
  bool follow_symlinks = false;

  // The matching regular files, sorted by name. A missing plain file is an
  // error (config); an empty directory or glob yields none. What was passed
  // over and why (a link not followed, a link loop, a FIFO) goes to `skipped`.
  std::vector<std::string> list(std::vector<std::string>* skipped = nullptr) const;
  // File stem for a file, folder name for a directory, the pattern's fixed
  // part for a glob ("orders_*.csv" -> "orders").
  std::string default_stream_name() const;
};

FileSet make_file_set(const std::string& resolved_path);

// "auto" decides by extension: .jsonl/.ndjson/.json are JSON Lines, the rest CSV.
Format resolve_format(const std::string& option, const std::string& sample_path);

}  // namespace ingestd::plugins::files
