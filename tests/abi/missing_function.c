/* A source whose table lacks next_batch: the host must refuse it by name. */
#include <ingestd/abi.h>

static ingestd_status create(const ingestd_create_args* args, ingestd_instance** out, ingestd_error* error) {
  (void)args;
  (void)error;
  *out = (ingestd_instance*)1;
  return INGESTD_OK;
}
static void destroy(ingestd_instance* i) { (void)i; }
static ingestd_status check(ingestd_instance* i, ingestd_error* e) {
  (void)i;
  (void)e;
  return INGESTD_OK;
}
static ingestd_status discover(ingestd_instance* i, ingestd_catalog* c, ingestd_error* e) {
  (void)i;
  (void)c;
  (void)e;
  return INGESTD_OK;
}
static ingestd_status open_stream(ingestd_instance* i, const ingestd_stream_request* r, ingestd_stream** s,
                                  struct ArrowSchema* schema, ingestd_error* e) {
  (void)i;
  (void)r;
  (void)s;
  (void)schema;
  (void)e;
  return INGESTD_ERROR_NOT_SUPPORTED;
}
static void close_stream(ingestd_stream* s) { (void)s; }

static const ingestd_descriptor descriptor = {sizeof(ingestd_descriptor), "incomplete", "0.1.0",
                                              INGESTD_KIND_SOURCE, "Lacks next_batch", 0,
                                              INGESTD_EXTRACT_SNAPSHOT, 0, 0, 0, 0, 0};
static ingestd_plugin plugin;

INGESTD_EXPORT ingestd_status ingestd_plugin_entry(uint32_t host_major, uint32_t host_minor,
                                                   const ingestd_host_api* host, const ingestd_plugin** out) {
  (void)host_minor;
  (void)host;
  plugin.struct_size = sizeof plugin;
  plugin.abi_major = INGESTD_ABI_VERSION_MAJOR;
  plugin.abi_minor = INGESTD_ABI_VERSION_MINOR;
  plugin.descriptor = &descriptor;
  plugin.create = create;
  plugin.destroy = destroy;
  plugin.check = check;
  plugin.discover = discover;
  plugin.open_stream = open_stream;
  plugin.close_stream = close_stream;
  *out = &plugin;
  return host_major == INGESTD_ABI_VERSION_MAJOR ? INGESTD_OK : INGESTD_ERROR_VERSION_MISMATCH;
}
