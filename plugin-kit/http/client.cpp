#include <ingestd/kit/http/client.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace ingestd::kit::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<Response*>(user)->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  // A new status line (after a redirect or 100 Continue) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) r->headers.clear();
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    r->headers.push_back({lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(user);
  return *cancelled && (*cancelled)() ? 1 : 0;
}

}  // namespace

void Request::set_header(std::string name, std::string value) {
  for (auto& h : headers)
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  headers.push_back({std::move(name), std::move(value)});
}

const std::string* Response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h.value;
  return nullptr;
}

struct Client::Impl {
  CURL* curl = nullptr;
  Timeouts timeouts;
};

Client::Client(Timeouts timeouts) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->curl = curl_easy_init();
  impl_->timeouts = timeouts;
  if (!impl_->curl) throw TransportError("cannot initialise libcurl");
}

Client::~Client() { curl_easy_cleanup(impl_->curl); }

Response Client::send(const Request& request, const std::function<bool()>& cancelled) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);  // keeps the connection cache
  Response response;
  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, (h.name + ": " + h.value).c_str());
  // Without this libcurl sends "Expect: 100-continue" and waits on larger bodies.
  headers = curl_slist_append(headers, "Expect:");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, curl_slist_free_all);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ingestd");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(impl_->timeouts.connect_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(impl_->timeouts.total_ms));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &cancelled);
  if (request.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw TransportError("cancelled");
  if (rc != CURLE_OK)
    throw TransportError(error[0] ? error : curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string with_query(std::string url, const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [name, value] : params) {
    url.push_back(url.find('?') == std::string::npos ? '?' : '&');
    url += url_encode(name) + "=" + url_encode(value);
  }
  return url;
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  if (reference.find("://") != std::string::npos) return reference;
  auto scheme = base.find("://");
  auto path_start = scheme == std::string::npos ? std::string::npos : base.find('/', scheme + 3);
  std::string origin = path_start == std::string::npos ? base : base.substr(0, path_start);
  if (!reference.empty() && reference[0] == '/') return origin + reference;
  std::string dir = path_start == std::string::npos ? origin + "/" : base.substr(0, base.rfind('/', base.find('?')) + 1);
  return dir + reference;
}

std::string path_and_query(const std::string& url) {
  auto scheme = url.find("://");
  auto path_start = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
  if (path_start == std::string::npos) return "/";
  return url.substr(path_start);
}

}  // namespace ingestd::kit::http
