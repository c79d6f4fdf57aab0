// A source instance whose streams are all endpoint streams: what a plugin for
// one API derives from, giving only its Api and its EndpointSpecs.
#pragma once

#include <ingestd/kit/http/endpoint_stream.hpp>

#include <memory>
#include <vector>

namespace ingestd::kit::http {

class EndpointSource : public sdk::Instance {
 public:
  EndpointSource(std::shared_ptr<Api> api, std::vector<EndpointSpec> streams, sdk::Host host)
      : api_(std::move(api)), streams_(std::move(streams)), host_(host) {}

  // The first page of every stream: reachable, authorised, JSON where the
  // records are said to be.
  void check() override;
  std::vector<sdk::StreamInfo> discover() override;
  std::unique_ptr<sdk::SourceStream> open_stream(const sdk::StreamRequest& request) override;

 private:
  std::shared_ptr<Api> api_;
  std::vector<EndpointSpec> streams_;
  sdk::Host host_;
};

}  // namespace ingestd::kit::http
