// HMAC-SHA256, for signing requests and checking signed webhooks.
#pragma once

#include <string>
#include <string_view>

namespace ingestd::kit::http {

// Lower-case hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Compares in time independent of where the strings differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace ingestd::kit::http
