// The flow-file loader on arbitrary text: it either reads a flow file or
// throws ConfigError; it never crashes, hangs or overflows.
#include "config/flow_file.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    ingestd::ErrorCollector errors;
    ingestd::FlowFile ff = ingestd::parse_flow_file(text, "fuzz.toml", true, errors);
    for (const auto& f : ff.flows) (void)ingestd::sdk::settings_json(f.settings.source).dump();
  } catch (const ingestd::ConfigError&) {
  }
  return 0;
}
