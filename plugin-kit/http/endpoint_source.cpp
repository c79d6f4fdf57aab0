#include <ingestd/kit/http/endpoint_source.hpp>

namespace ingestd::kit::http {

void EndpointSource::check() { discover(); }

std::vector<sdk::StreamInfo> EndpointSource::discover() {
  std::vector<sdk::StreamInfo> out;
  for (const auto& s : streams_) out.push_back(discover_endpoint(api_, s, host_, *this));
  return out;
}

std::unique_ptr<sdk::SourceStream> EndpointSource::open_stream(const sdk::StreamRequest& r) {
  for (const auto& s : streams_)
    if (s.stream == r.stream) return open_endpoint_stream(api_, s, r, *this);
  throw sdk::config_error("no stream named '" + r.stream + "'");
}

}  // namespace ingestd::kit::http
