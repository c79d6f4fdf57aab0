#include "log/secret_forms.hpp"

#include <ingestd/sdk/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace ingestd::log {

namespace {

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

std::string percent_encode(std::string_view s, bool upper, bool plus_for_space) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && plus_for_space) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

// As a JSON string carries it, without the quotes; some writers also escape '/'.
std::string json_escape(std::string_view s, bool escape_slash) {
  std::string quoted;
  ingestd::json::write_string(quoted, s);
  std::string out = quoted.substr(1, quoted.size() - 2);
  if (!escape_slash) return out;
  std::string slashed;
  for (char c : out) slashed += c == '/' ? std::string("\\/") : std::string(1, c);
  return slashed;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_value(s[i + 1])) >= 0 && (lo = hex_value(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

void add_with_decoded(std::vector<std::string>& out, std::string_view raw) {
  if (raw.empty()) return;
  out.emplace_back(raw);
  std::string decoded = percent_decode(raw);
  if (decoded != raw && !decoded.empty()) out.push_back(std::move(decoded));
}

// name=value pairs split by any of `separators`, values of credential-like names.
void credential_pairs(std::string_view text, std::string_view separators, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = text.find_first_of(separators, i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view pair = text.substr(i, end - i);
    if (std::size_t eq = pair.find('='); eq != std::string_view::npos && credential_like(pair.substr(0, eq))) {
      std::string_view value = pair.substr(eq + 1);
      // conninfo quotes values with spaces: password='a b' (the pair then
      // runs to the closing quote, past the separator).
      if (!value.empty() && value.front() == '\'') {
        std::size_t close = text.find('\'', i + eq + 2);
        if (close == std::string_view::npos) close = text.size();
        value = text.substr(i + eq + 2, close - (i + eq + 2));
        end = close;
      }
      add_with_decoded(out, value);
    }
    i = end + 1;
  }
}

}  // namespace

bool credential_like(std::string_view name) {
  std::string n;
  for (unsigned char c : name)
    if (std::isalnum(c)) n.push_back(static_cast<char>(std::tolower(c)));
  static const std::array<const char*, 10> parts = {"password", "passwd",     "secret",     "token",         "apikey",
                                                    "accesskey", "privatekey", "credential", "authorization", "signature"};
  for (const char* p : parts)
    if (n.find(p) != std::string::npos) return true;
  static const std::array<const char*, 8> whole = {"pwd", "pass", "key", "auth", "sig", "cookie", "session", "sessionid"};
  return std::find(whole.begin(), whole.end(), n) != whole.end();
}

std::vector<std::string> secret_forms(std::string_view secret) {
  std::vector<std::string> out;
  if (secret.empty()) return out;
  for (std::string form : {std::string(secret), percent_encode(secret, true, false), percent_encode(secret, false, false),
                           percent_encode(secret, true, true), json_escape(secret, false), json_escape(secret, true)})
    if (std::find(out.begin(), out.end(), form) == out.end()) out.push_back(std::move(form));
  return out;
}

std::vector<std::string> embedded_credentials(std::string_view value) {
  std::vector<std::string> out;
  // scheme://user:password@host/path?query
  if (std::size_t scheme = value.find("://"); scheme != std::string_view::npos) {
    std::size_t start = scheme + 3;
    std::size_t end = value.find_first_of("/?#", start);
    std::string_view authority = value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      if (std::size_t colon = userinfo.find(':'); colon != std::string_view::npos)
        add_with_decoded(out, userinfo.substr(colon + 1));
    }
    if (std::size_t q = value.find('?', start); q != std::string_view::npos) {
      std::size_t hash = value.find('#', q);
      credential_pairs(value.substr(q + 1, hash == std::string_view::npos ? std::string_view::npos : hash - q - 1), "&;",
                       out);
    }
  } else if (value.find('=') != std::string_view::npos) {
    credential_pairs(value, " \t\n&;", out);  // libpq conninfo, a query string
  }
  // An Authorization value: the scheme is public, the token is not.
  if (std::size_t space = value.find(' '); space != std::string_view::npos && space + 1 < value.size() &&
                                           value.find(' ', space + 1) == std::string_view::npos) {
    std::string scheme;
    for (unsigned char c : value.substr(0, space)) scheme.push_back(static_cast<char>(std::tolower(c)));
    static const std::array<const char*, 8> schemes = {"bearer", "basic", "token", "bot", "digest", "apikey", "jwt", "oauth"};
    if (std::find_if(schemes.begin(), schemes.end(), [&](const char* s) { return scheme == s; }) != schemes.end())
      out.emplace_back(value.substr(space + 1));
  }
  return out;
}

}  // namespace ingestd::log
