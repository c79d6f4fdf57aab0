// github: issues, pulls, commits and releases of GitHub repositories, built on
// the HTTP base. It only adds what GitHub's REST API is: paths, Link
// pagination, `since` and sort parameters, and the x-ratelimit quota headers.
#include <ingestd/kit/http/endpoint_source.hpp>

#include <ingestd/sdk/bound_options.hpp>
#include <ingestd/sdk/plugin.hpp>

namespace ingestd::plugins::github {
namespace {

using namespace ingestd::sdk;
namespace json = ingestd::json;

const std::vector<std::string> kStreams = {"issues", "pulls", "commits", "releases"};

// What GitHub's REST API says about one kind of record.
kit::http::EndpointSpec endpoint(const std::string& stream, const std::vector<std::string>& repositories,
                            int64_t page_size) {
  kit::http::EndpointSpec s;
  s.stream = stream;
  s.pagination.style = kit::http::PaginationSpec::Style::Link;
  kit::http::QueryParams params = {{"per_page", std::to_string(page_size)}};
  if (stream == "issues" || stream == "pulls") {
    // Oldest change first, so that the cursor can be saved after every page.
    params.insert(params.end(), {{"state", "all"}, {"sort", "updated"}, {"direction", "asc"}});
    s.primary_key = {"id"};
    s.cursor_field = "updated_at";
    s.cursor_param = stream == "issues" ? "since" : "";  // pulls has no since: filtered here
    s.ascending = true;
  } else if (stream == "commits") {
    s.primary_key = {"repository", "sha"};
    s.cursor_field = "/commit/committer/date";
    s.cursor_param = "since";  // newest first: the cursor is saved once a repository is read
  } else {
    s.primary_key = {"id"};
    s.cursor_field = "created_at";
  }
  for (const auto& repo : repositories)
    s.partitions.push_back({repo, "/repos/" + repo + "/" + stream, params, {{"repository", repo}}});
  return s;
}

// GitHub's own options, each declared once in options() below; the HTTP
// base's request options come after them.
struct Settings {
  std::vector<std::string> repositories;
  Secret token;
  std::vector<std::string> streams = kStreams;
  std::string base_url = "https://api.github.com";
  int64_t page_size = 100;
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    using S = Settings;
    BoundOptions<S> b;
    b.add("repositories", &S::repositories, "Repositories to read, [\"owner/name\", ...]").required();
    b.add("token", &S::token, "A personal access or app token (public repositories need none)");
    b.add("streams", &S::streams, "Which of issues, pulls, commits, releases");
    b.add("base_url", &S::base_url, "The API's address (GitHub Enterprise: https://HOST/api/v3)");
    b.add("page_size", &S::page_size, "Records per request (GitHub allows up to 100)");
    return b;
  }();
  return o;
}

std::vector<kit::http::EndpointSpec> github_streams(const Settings& s) {
  if (s.repositories.empty()) throw config_error("repositories must name at least one \"owner/name\"");
  for (const auto& r : s.repositories)
    if (r.find('/') == std::string::npos || r.front() == '/' || r.back() == '/')
      throw config_error("repositories: '" + r + "' is not \"owner/name\"");
  std::vector<kit::http::EndpointSpec> out;
  for (const auto& stream : s.streams) {
    bool known = false;
    for (const auto& k : kStreams) known = known || k == stream;
    if (!known) throw config_error("streams: unknown stream '" + stream + "' (valid: issues, pulls, commits, releases)");
    out.push_back(endpoint(stream, s.repositories, s.page_size));
  }
  return out;
}

// The HTTP base's options, as GitHub wants them.
std::shared_ptr<kit::http::Api> github_api(const Settings& s, const Options& o) {
  json::Object api;
  api.set("base_url", json::Value(s.base_url));
  json::Object headers;
  headers.set("Accept", json::Value("application/vnd.github+json"));
  headers.set("X-GitHub-Api-Version", json::Value("2022-11-28"));
  api.set("headers", json::Value(std::move(headers)));
  if (!s.token.value.empty()) {
    api.set("auth", json::Value("bearer"));
    api.set("token", json::Value(s.token.value));
  }
  for (const auto& r : kit::http::request_options())
    if (o.has(r.name)) api.set(r.name, o.get(r.name));
  auto result = kit::http::make_api(Options(json::Value(std::move(api))));
  result->quota_remaining_header = "x-ratelimit-remaining";
  result->quota_reset_header = "x-ratelimit-reset";
  return result;
}

class GitHubSource : public kit::http::EndpointSource {
 public:
  GitHubSource(const Settings& s, const CreateContext& ctx)
      : EndpointSource(github_api(s, ctx.options), github_streams(s), ctx.host) {}
};

PluginInfo describe() {
  PluginInfo p{.name = "github", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "GitHub repositories: issues, pulls, commits, releases (REST API, incremental)",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES};
  p.options = options().specs();
  for (auto& r : kit::http::request_options()) p.options.push_back(std::move(r));
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  return std::make_unique<GitHubSource>(options().bind(ctx), ctx);
}

}  // namespace
}  // namespace ingestd::plugins::github

INGESTD_PLUGIN(ingestd::plugins::github::describe, ingestd::plugins::github::create)
