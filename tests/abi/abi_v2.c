/* A plugin built for a future ABI major version 2: the host must refuse it
 * and say which versions disagree. */
#include <ingestd/abi.h>

static const ingestd_descriptor descriptor = {sizeof(ingestd_descriptor), "future", "9.0.0",
                                              INGESTD_KIND_SOURCE, "From ABI 2", 0, 0, 0, 0, 0, 0, 0};
static const ingestd_plugin plugin = {sizeof(ingestd_plugin), 2, 0, &descriptor, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

INGESTD_EXPORT ingestd_status ingestd_plugin_entry(uint32_t host_major, uint32_t host_minor,
                                                   const ingestd_host_api* host, const ingestd_plugin** out) {
  (void)host_minor;
  (void)host;
  *out = &plugin;
  return host_major == 2 ? INGESTD_OK : INGESTD_ERROR_VERSION_MISMATCH;
}
