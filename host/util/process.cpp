#include "util/process.hpp"

#include <cerrno>
#include <signal.h>
#include <unistd.h>

namespace ingestd {

std::string this_host() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

bool process_gone(const std::string& host, int64_t pid) {
  return host == this_host() && pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace ingestd
