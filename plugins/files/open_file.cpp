#include "open_file.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace ingestd::plugins::files {

namespace {

std::string mode_and_owner(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  char text[64];
  std::snprintf(text, sizeof text, "mode %04o, owner uid %u", static_cast<unsigned>(st.st_mode & 07777),
                static_cast<unsigned>(st.st_uid));
  return text;
}

}  // namespace

std::string why_unreadable(const std::string& path, int error) {
  if (error != EACCES) return path + ": " + std::strerror(error);
  // A folder on the way that cannot be searched, or the file itself.
  std::filesystem::path p = std::filesystem::absolute(path);
  std::filesystem::path walked;
  for (const auto& part : p.parent_path()) {
    walked /= part;
    if (::access(walked.c_str(), X_OK) != 0)
      return path + ": permission denied: the folder " + walked.string() +
             " needs execute (search) permission for this user (" + mode_and_owner(walked.string()) + ")";
  }
  return path + ": permission denied: the file needs read permission for this user (" + mode_and_owner(path) + ")";
}

int open_for_reading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ingestd::sdk::config_error(why_unreadable(path, errno));
  return fd;
}

}  // namespace ingestd::plugins::files
