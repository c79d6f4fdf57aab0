// http: a source over JSON REST APIs. Each configured stream is a paginated
// endpoint; see README.md for the options.
#include "stream_config.hpp"

#include <ingestd/http/endpoint_stream.hpp>

#include <ingestd/sdk/plugin.hpp>

namespace {

using namespace ingestd::sdk;
namespace http = ingestd::http;

class HttpSource : public Instance {
 public:
  explicit HttpSource(const CreateContext& ctx)
      : api_(http::make_api(ctx.options)), streams_(http_source::parse_streams(ctx.options)), host_(ctx.host) {}

  void check() override {
    // The first page of every stream: reachable, authorised, JSON where the records are said to be.
    discover();
  }

  std::vector<StreamInfo> discover() override {
    std::vector<StreamInfo> out;
    for (const auto& s : streams_) out.push_back(http::discover_endpoint(api_, s, host_, *this));
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    for (const auto& s : streams_)
      if (s.stream == r.stream) return http::open_endpoint_stream(api_, s, r, *this);
    throw config_error("no stream named '" + r.stream + "'");
  }

 private:
  std::shared_ptr<http::Api> api_;
  std::vector<http::EndpointSpec> streams_;
  Host host_;
};

PluginInfo describe() {
  PluginInfo p;
  p.name = "http";
  p.version = "0.1.0";
  p.kinds = INGESTD_KIND_SOURCE;
  p.description = "JSON REST APIs: pagination, auth, rate limits, retries, incremental cursors";
  p.extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES;
  p.options = http::api_options();
  p.options.push_back(option("streams", INGESTD_OPTION_JSON,
                             "One table per stream: path, params, records (JSON pointer), primary_key, cursor, "
                             "cursor_param, ascending, pagination, columns, sample_records")
                          .required());
  p.options.push_back(option("pagination", INGESTD_OPTION_JSON,
                             "The default pagination of every stream: { style = \"page\" | \"offset\" | \"cursor\" | "
                             "\"link\" | \"next_url\", ... }"));
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<HttpSource>(ctx); }

}  // namespace

INGESTD_PLUGIN(describe, create)
