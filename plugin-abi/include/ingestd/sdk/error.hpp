// The error a plugin throws and the host receives: an ingestd_status, a retry
// class (INGESTD_RETRY_*) and how long to wait before a retry.
#pragma once

#include <ingestd/abi.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ingestd::sdk {

class Error : public std::runtime_error {
 public:
  Error(ingestd_status status, const std::string& message,
        int32_t retry_class = INGESTD_RETRY_PERMANENT, int64_t retry_after_ms = 0)
      : std::runtime_error(message),
        status_(status),
        retry_class_(retry_class),
        retry_after_ms_(retry_after_ms) {}
  ingestd_status status() const { return status_; }
  int32_t retry_class() const { return retry_class_; }
  int64_t retry_after_ms() const { return retry_after_ms_; }
  // May go away on a retry (after retry_after_ms()).
  bool transient() const { return retry_class_ == INGESTD_RETRY_TRANSIENT; }
  // Fails until the configuration changes.
  bool is_config() const { return status_ == INGESTD_ERROR_CONFIG || retry_class_ == INGESTD_RETRY_CONFIG; }
  bool is_cancelled() const { return status_ == INGESTD_ERROR_CANCELLED; }

 private:
  ingestd_status status_;
  int32_t retry_class_;
  int64_t retry_after_ms_;
};

inline Error config_error(const std::string& m) {
  return Error(INGESTD_ERROR_CONFIG, m, INGESTD_RETRY_CONFIG);
}
inline Error data_error(const std::string& m) { return Error(INGESTD_ERROR_DATA, m); }
inline Error schema_error(const std::string& m) { return Error(INGESTD_ERROR_SCHEMA, m); }
inline Error io_error(const std::string& m, bool transient = true, int64_t retry_after_ms = 0) {
  return Error(INGESTD_ERROR_IO, m, transient ? INGESTD_RETRY_TRANSIENT : INGESTD_RETRY_PERMANENT,
               retry_after_ms);
}
inline Error not_supported(const std::string& m) { return Error(INGESTD_ERROR_NOT_SUPPORTED, m); }
inline Error cancelled_error() { return Error(INGESTD_ERROR_CANCELLED, "cancelled"); }

}  // namespace ingestd::sdk
