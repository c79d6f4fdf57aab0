// A source for one JSON endpoint, built outside the tree on the plugin kit's
// http component (find_package(ingestd COMPONENTS http)): the kit's headers,
// static library and its own dependencies (libcurl, OpenSSL, simdjson) all
// come from the installed package.
#include <ingestd/kit/http/endpoint_source.hpp>
#include <ingestd/kit/http/session.hpp>

#include <ingestd/sdk/plugin.hpp>

using namespace ingestd::sdk;
namespace http = ingestd::kit::http;

namespace {

http::EndpointSpec items(const Options& o) {
  http::EndpointSpec s;
  s.stream = "items";
  s.primary_key = {"id"};
  s.partitions.push_back({"", o.string("path", "/items"), {}, {}});
  return s;
}

class KitApi : public http::EndpointSource {
 public:
  explicit KitApi(const CreateContext& c) : EndpointSource(http::make_api(c.options), {items(c.options)}, c.host) {}
};

PluginInfo describe() {
  PluginInfo p{.name = "kit_api", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "One JSON endpoint, on the kit's http component",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT};
  p.options = http::api_options();
  p.options.push_back(option("path", INGESTD_OPTION_STRING, "The endpoint's path").default_to("/items"));
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& c) { return std::make_unique<KitApi>(c); }

}  // namespace

INGESTD_PLUGIN(describe, create)
