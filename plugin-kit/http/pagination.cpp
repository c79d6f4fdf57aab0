#include <ingestd/kit/http/pagination.hpp>

#include <ingestd/sdk/plugin.hpp>

namespace ingestd::kit::http {

using sdk::config_error;
namespace dom = simdjson::dom;

namespace {

const char* const kStyles = "none, page, offset, cursor, link, next_url";

std::string string_key(const json::Value& t, const char* key, const std::string& where, std::string fallback) {
  const json::Value& v = t[key];
  if (v.is_null()) return fallback;
  if (!v.is_string()) throw config_error(where + "." + key + " must be a string");
  return v.as_string();
}

int64_t int_key(const json::Value& t, const char* key, const std::string& where, int64_t fallback) {
  const json::Value& v = t[key];
  if (v.is_null()) return fallback;
  if (!v.is_int()) throw config_error(where + "." + key + " must be an integer");
  return v.as_int();
}

// The text of a scalar at `pointer` ("" when absent, null or not a scalar).
std::string scalar_at(const dom::element& body, const std::string& pointer) {
  dom::element e;
  if (pointer.empty() || body.at_pointer(pointer).get(e)) return {};
  switch (e.type()) {
    case dom::element_type::STRING: return std::string(e.get_string().value_unsafe());
    case dom::element_type::INT64: return std::to_string(e.get_int64().value_unsafe());
    case dom::element_type::UINT64: return std::to_string(e.get_uint64().value_unsafe());
    default: return {};
  }
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The parameter or body member that moves the walk, for messages.
std::string moved_by(const PaginationSpec& s) {
  switch (s.style) {
    case PaginationSpec::Style::Page: return "the '" + s.page_param + "' parameter";
    case PaginationSpec::Style::Offset: return "the '" + s.offset_param + "' parameter";
    case PaginationSpec::Style::Cursor: return "the '" + s.cursor_param + "' parameter (from " + s.cursor_path + ")";
    case PaginationSpec::Style::Link: return "the Link header's rel=\"next\"";
    case PaginationSpec::Style::NextUrl: return "the next URL at " + s.next_url_path;
    case PaginationSpec::Style::None: break;
  }
  return "pagination";
}

}  // namespace

PaginationSpec PaginationSpec::parse(const json::Value& t, const std::string& where) {
  PaginationSpec s;
  if (t.is_null()) return s;
  if (!t.is_object()) throw config_error(where + " must be a table such as { style = \"page\" }");
  static const std::vector<std::string> keys = {"style",       "page_param", "first_page",    "offset_param",
                                                "size_param",  "page_size",  "cursor_param",  "cursor_path",
                                                "next_url_path", "total_path", "max_pages"};
  for (const auto& [key, value] : t.as_object()) {
    (void)value;
    bool known = false;
    for (const auto& k : keys) known = known || k == key;
    if (!known) {
      std::string valid;
      for (const auto& k : keys) valid += (valid.empty() ? "" : ", ") + k;
      throw config_error(where + ": unknown key '" + key + "' (valid: " + valid + ")");
    }
  }
  const std::string style = string_key(t, "style", where, "none");
  if (style == "none") s.style = Style::None;
  else if (style == "page") s.style = Style::Page;
  else if (style == "offset") s.style = Style::Offset;
  else if (style == "cursor") s.style = Style::Cursor;
  else if (style == "link") s.style = Style::Link;
  else if (style == "next_url") s.style = Style::NextUrl;
  else throw config_error(where + ".style must be one of " + std::string(kStyles) + "; got '" + style + "'");
  s.page_param = string_key(t, "page_param", where, s.page_param);
  s.first_page = int_key(t, "first_page", where, s.first_page);
  s.offset_param = string_key(t, "offset_param", where, s.offset_param);
  s.size_param = string_key(t, "size_param", where, "");
  s.page_size = int_key(t, "page_size", where, 0);
  s.cursor_param = string_key(t, "cursor_param", where, s.cursor_param);
  s.cursor_path = string_key(t, "cursor_path", where, "");
  s.next_url_path = string_key(t, "next_url_path", where, "");
  s.total_path = string_key(t, "total_path", where, "");
  s.max_pages = int_key(t, "max_pages", where, 0);
  if (s.style == Style::Cursor && s.cursor_path.empty())
    throw config_error(where + ": style = \"cursor\" needs cursor_path (a JSON pointer to the next token)");
  if (s.style == Style::NextUrl && s.next_url_path.empty())
    throw config_error(where + ": style = \"next_url\" needs next_url_path (a JSON pointer to the next URL)");
  if (s.style == Style::Offset && s.page_size <= 0)
    throw config_error(where + ": style = \"offset\" needs page_size (the records asked per request)");
  if (!s.size_param.empty() && s.page_size <= 0) throw config_error(where + ": size_param needs page_size");
  return s;
}

Paginator::Paginator(PaginationSpec spec, std::string url) : spec_(std::move(spec)), url_(std::move(url)) {
  asked_.insert(fnv1a(first_url()));
}

void Paginator::check_progress(const dom::element& body, const std::string& next) {
  const uint64_t body_hash = fnv1a(simdjson::minify(body));
  if (pages_ > 1 && body_hash == last_body_hash_)
    throw config_error("page " + std::to_string(pages_) + " holds the same records as page " +
                       std::to_string(pages_ - 1) + ": the server ignores " + moved_by(spec_) +
                       "; set pagination to the paging this API uses");
  last_body_hash_ = body_hash;
  if (!asked_.insert(fnv1a(next)).second)
    throw config_error("page " + std::to_string(pages_) + " leads back to a page already read (" + next +
                       "): the walk would loop; check " + moved_by(spec_));
  if (spec_.max_pages == 0 && pages_ >= kMaxPagesUnset)
    throw config_error("stopped after " + std::to_string(pages_) +
                       " pages: set pagination.max_pages to allow a longer walk (or to stop there quietly)");
}

std::string Paginator::url_with(const QueryParams& params) const {
  QueryParams all = params;
  if (!spec_.size_param.empty()) all.emplace_back(spec_.size_param, std::to_string(spec_.page_size));
  return with_query(url_, all);
}

std::string Paginator::first_url() const {
  switch (spec_.style) {
    case PaginationSpec::Style::Page: return url_with({{spec_.page_param, std::to_string(spec_.first_page)}});
    case PaginationSpec::Style::Offset: return url_with({{spec_.offset_param, "0"}});
    default: return url_with({});
  }
}

std::optional<std::string> Paginator::next_url(const Response& response, const dom::element& body,
                                               std::size_t records) {
  ++pages_;
  records_ += static_cast<int64_t>(records);
  if (spec_.style == PaginationSpec::Style::None || records == 0) return std::nullopt;
  if (spec_.max_pages > 0 && pages_ >= spec_.max_pages) return std::nullopt;
  if (!spec_.total_path.empty()) {
    std::string total = scalar_at(body, spec_.total_path);
    if (!total.empty() && records_ >= std::stoll(total)) return std::nullopt;
  }
  std::optional<std::string> next;
  switch (spec_.style) {
    case PaginationSpec::Style::Page:
      next = url_with({{spec_.page_param, std::to_string(spec_.first_page + pages_)}});
      break;
    case PaginationSpec::Style::Offset: next = url_with({{spec_.offset_param, std::to_string(records_)}}); break;
    case PaginationSpec::Style::Cursor: {
      std::string token = scalar_at(body, spec_.cursor_path);
      if (!token.empty()) next = url_with({{spec_.cursor_param, token}});
      break;
    }
    case PaginationSpec::Style::Link: {
      const std::string* link = response.header("link");
      std::string target = link ? link_next(*link) : std::string();
      if (!target.empty()) next = resolve_url(url_, target);
      break;
    }
    case PaginationSpec::Style::NextUrl: {
      std::string target = scalar_at(body, spec_.next_url_path);
      if (!target.empty()) next = resolve_url(url_, target);
      break;
    }
    case PaginationSpec::Style::None: break;
  }
  if (next) check_progress(body, *next);
  return next;
}

std::string link_next(const std::string& header) {
  // <https://api.example.com/items?page=2>; rel="next", <...>; rel="last"
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto open = header.find('<', pos);
    if (open == std::string::npos) break;
    auto close = header.find('>', open);
    if (close == std::string::npos) break;
    auto end = header.find('<', close);
    std::string params = header.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
    for (const char* rel : {"rel=\"next\"", "rel=next", "rel=\"next "})
      if (params.find(rel) != std::string::npos) return header.substr(open + 1, close - open - 1);
    pos = close + 1;
  }
  return {};
}

}  // namespace ingestd::kit::http
