// How a stream walks the pages of an endpoint, and when it stops.
//
//   none      one request
//   page      ?page=1,2,3...            (page_param, first_page, size_param, page_size)
//   offset    ?offset=0,100,200...      (offset_param, size_param, page_size)
//   cursor    ?cursor=<token from body> (cursor_param, cursor_path)
//   link      the Link header's rel="next" URL
//   next_url  a URL in the body         (next_url_path)
//
// Every style stops on an empty page; cursor and next_url when the token or
// URL is missing, null or empty; page and offset also when total_path (a JSON
// pointer to a total record count) says every record was read.
#pragma once

#include <ingestd/kit/http/client.hpp>
#include <ingestd/sdk/json.hpp>

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ingestd::kit::http {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct PaginationSpec {
  enum class Style { None, Page, Offset, Cursor, Link, NextUrl };
  Style style = Style::None;
  std::string page_param = "page";
  int64_t first_page = 1;
  std::string offset_param = "offset";
  std::string size_param;  // the page size parameter ("per_page", "limit"); empty: not sent
  int64_t page_size = 0;
  std::string cursor_param = "cursor";
  std::string cursor_path;    // JSON pointer to the next token
  std::string next_url_path;  // JSON pointer to the next URL
  std::string total_path;     // JSON pointer to the total number of records
  int64_t max_pages = 0;      // 0: none set; a walk then fails past kMaxPagesUnset

  // From a TOML table such as { style = "cursor", cursor_path = "/meta/next" };
  // errors name `where` and the valid keys.
  static PaginationSpec parse(const json::Value& table, const std::string& where);
};

// The URL of the first page and of each next one.
// Pages one walk may take when max_pages is not set: past it the walk fails
// rather than requesting without bound.
constexpr int64_t kMaxPagesUnset = 100000;

class Paginator {
 public:
  // `url` is the endpoint with its own query parameters.
  Paginator(PaginationSpec spec, std::string url);

  std::string first_url() const;
  // The next page's URL after `response` (parsed as `body`) held `records`
  // records, or nullopt when the walk is over.
  std::optional<std::string> next_url(const Response& response, const simdjson::dom::element& body,
                                      std::size_t records);
  int64_t pages() const { return pages_; }

 private:
  std::string url_with(const QueryParams& params) const;
  // Fails when the server answers a new page with the page before it, or
  // sends the walk back to a URL it asked already: it ignores the paging.
  void check_progress(const simdjson::dom::element& body, const std::string& next);

  PaginationSpec spec_;
  std::string url_;
  int64_t pages_ = 0;
  int64_t records_ = 0;
  std::string last_url_;
  uint64_t last_body_hash_ = 0;
  std::set<uint64_t> asked_;  // hashes of the URLs requested so far
};

// The rel="next" target of a Link header, or empty.
std::string link_next(const std::string& link_header);

}  // namespace ingestd::kit::http
