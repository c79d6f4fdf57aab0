// http: a source over JSON REST APIs. Each configured stream is a paginated
// endpoint; see README.md for the options.
#include "stream_config.hpp"

#include <ingestd/kit/http/endpoint_source.hpp>

#include <ingestd/sdk/plugin.hpp>

namespace ingestd::plugins::http {
namespace {

using namespace ingestd::sdk;

class HttpSource : public kit::http::EndpointSource {
 public:
  explicit HttpSource(const CreateContext& ctx)
      : EndpointSource(kit::http::make_api(ctx.options), parse_streams(ctx.options), ctx.host) {}
};

PluginInfo describe() {
  PluginInfo p{.name = "http", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "JSON REST APIs: pagination, auth, rate limits, retries, incremental cursors",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES};
  p.options = kit::http::api_options();
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
}  // namespace ingestd::plugins::http

INGESTD_PLUGIN(ingestd::plugins::http::describe, ingestd::plugins::http::create)
