// Opening an input file, with an error that says what to change: which path,
// and which permission on which file or folder is missing.
#pragma once

#include <string>

namespace ingestd::plugins::files {

// An open read-only descriptor of `path`; throws a config error otherwise.
int open_for_reading(const std::string& path);

// Why `path` cannot be read, for an errno from opening it: for a permission
// error, the file or folder lacking it and the permission needed.
std::string why_unreadable(const std::string& path, int error);

}  // namespace ingestd::plugins::files
