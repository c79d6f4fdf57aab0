// This process as run history and leases record it.
#pragma once

#include <cstdint>
#include <string>

namespace ingestd {

std::string this_host();

// True when `pid` ran on this host (`host`) and is gone: its run was cut off.
bool process_gone(const std::string& host, int64_t pid);

}  // namespace ingestd
