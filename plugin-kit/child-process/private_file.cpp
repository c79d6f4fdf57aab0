#include <ingestd/kit/child/private_file.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ingestd::kit::child {

PrivateFile::PrivateFile(std::string_view label, std::string_view content) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ingestd-connector-XXXXXX";
  if (!mkdtemp(pattern.data())) throw sdk::io_error("cannot create a private folder: " + std::string(std::strerror(errno)));
  dir_ = pattern;  // mkdtemp makes it 0700
  path_ = dir_ + "/" + std::string(label) + ".json";
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    ::rmdir(dir_.c_str());
    throw sdk::io_error("cannot create " + path_ + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(path_.c_str());
      ::rmdir(dir_.c_str());
      throw sdk::io_error("cannot write " + path_ + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

PrivateFile::~PrivateFile() {
  ::unlink(path_.c_str());
  ::rmdir(dir_.c_str());
}

}  // namespace ingestd::kit::child
