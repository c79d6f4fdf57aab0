// The http source's `streams` table: one endpoint per stream.
#pragma once

#include <ingestd/kit/http/endpoint_stream.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <vector>

namespace ingestd::plugins::http {

// Reads `streams` (and the `pagination` default for them); throws config
// errors naming the stream and key, listing the valid keys.
std::vector<ingestd::kit::http::EndpointSpec> parse_streams(const ingestd::sdk::Options& options);

}  // namespace ingestd::plugins::http
