// github: issues, pulls, commits and releases of GitHub repositories, built on
// the HTTP base. It only adds what GitHub's REST API is: paths, Link
// pagination, `since` and sort parameters, and the x-ratelimit quota headers.
#include <ingestd/kit/http/endpoint_source.hpp>

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

std::vector<kit::http::EndpointSpec> github_streams(const Options& o) {
  std::vector<std::string> repos = o.list("repositories");
  if (repos.empty()) throw config_error("repositories must name at least one \"owner/name\"");
  for (const auto& r : repos)
    if (r.find('/') == std::string::npos || r.front() == '/' || r.back() == '/')
      throw config_error("repositories: '" + r + "' is not \"owner/name\"");
  std::vector<kit::http::EndpointSpec> out;
  for (const auto& s : o.has("streams") ? o.list("streams") : kStreams) {
    bool known = false;
    for (const auto& k : kStreams) known = known || k == s;
    if (!known) throw config_error("streams: unknown stream '" + s + "' (valid: issues, pulls, commits, releases)");
    out.push_back(endpoint(s, repos, o.integer("page_size", 100)));
  }
  return out;
}

// The HTTP base's options, as GitHub wants them.
std::shared_ptr<kit::http::Api> github_api(const Options& o) {
  json::Object api;
  api.set("base_url", json::Value(o.string("base_url", "https://api.github.com")));
  json::Object headers;
  headers.set("Accept", json::Value("application/vnd.github+json"));
  headers.set("X-GitHub-Api-Version", json::Value("2022-11-28"));
  api.set("headers", json::Value(std::move(headers)));
  if (o.has("token")) {
    api.set("auth", json::Value("bearer"));
    api.set("token", o.get("token"));
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
  explicit GitHubSource(const CreateContext& ctx)
      : EndpointSource(github_api(ctx.options), github_streams(ctx.options), ctx.host) {}
};

PluginInfo describe() {
  PluginInfo p{.name = "github", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "GitHub repositories: issues, pulls, commits, releases (REST API, incremental)",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES};
  p.options = {
      option("repositories", INGESTD_OPTION_LIST, "Repositories to read, [\"owner/name\", ...]").required(),
      option("token", INGESTD_OPTION_SECRET, "A personal access or app token (public repositories need none)"),
      option("streams", INGESTD_OPTION_LIST, "Which of issues, pulls, commits, releases (default: all)"),
      option("base_url", INGESTD_OPTION_STRING, "The API's address (GitHub Enterprise: https://HOST/api/v3)")
          .default_to("https://api.github.com"),
      option("page_size", INGESTD_OPTION_INT, "Records per request (GitHub allows up to 100)").default_to("100"),
  };
  for (auto& r : kit::http::request_options()) p.options.push_back(std::move(r));
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<GitHubSource>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::github

INGESTD_PLUGIN(ingestd::plugins::github::describe, ingestd::plugins::github::create)
