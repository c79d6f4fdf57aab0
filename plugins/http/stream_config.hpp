// The http source's `streams` table: one endpoint per stream.
#pragma once

#include <ingestd/http/endpoint_stream.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <vector>

namespace http_source {

// Reads `streams` (and the `pagination` default for them); throws config
// errors naming the stream and key, listing the valid keys.
std::vector<ingestd::http::EndpointSpec> parse_streams(const ingestd::sdk::Options& options);

}  // namespace http_source
