// Checks on paths a destination will write, for check(): they change nothing.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace ingestd::sdk {

// Throws a config error unless `path` could be created or written: the file
// itself when it exists, else the nearest existing folder above it (which a
// run would create the rest in) must be a folder this user may write in.
inline void check_can_write(const std::string& path, const std::string& option = "path") {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path);
  if (fs::exists(p, ec) && !fs::is_directory(p, ec)) {
    if (::access(p.c_str(), W_OK) != 0)
      throw config_error("cannot write " + p.string() + ": " + std::strerror(errno) + " (" + option + " = " + path + ")");
    return;
  }
  while (!fs::exists(p, ec) && p.has_parent_path() && p.parent_path() != p) p = p.parent_path();
  if (!fs::is_directory(p, ec)) throw config_error(p.string() + " is not a folder (" + option + " = " + path + ")");
  if (::access(p.c_str(), W_OK | X_OK) != 0)
    throw config_error("cannot write in " + p.string() + ": " + std::strerror(errno) + " (" + option + " = " + path + ")");
}

}  // namespace ingestd::sdk
