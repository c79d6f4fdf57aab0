#include <ingestd/kit/http/auth.hpp>
#include <ingestd/kit/http/hmac.hpp>
#include <ingestd/kit/http/retry.hpp>

#include <ingestd/sdk/bound_options.hpp>
#include <ingestd/sdk/json.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <mutex>

namespace ingestd::kit::http {

using sdk::config_error;
using sdk::Options;

namespace {

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The auth options, each declared once in auth_settings() below.
struct AuthSettings {
  std::string auth = "none";
  sdk::Secret token;
  std::string username;
  sdk::Secret password;
  sdk::Secret api_key;
  std::string api_key_name = "X-API-Key";
  std::string api_key_in = "header";
  std::string token_url;
  std::string client_id;
  sdk::Secret client_secret;
  std::string scope;
  std::string oauth_client_auth = "basic";
  sdk::Secret hmac_secret;
  std::string hmac_key_id;
  std::string signature_header = "X-Signature";
  std::string timestamp_header = "X-Timestamp";
};

const sdk::BoundOptions<AuthSettings>& auth_settings() {
  static const sdk::BoundOptions<AuthSettings> o = [] {
    using A = AuthSettings;
    sdk::BoundOptions<A> b;
    b.add("auth", &A::auth, "How requests authenticate").one_of({"none", "bearer", "basic", "api_key", "oauth2", "hmac"});
    b.add("token", &A::token, "auth = bearer: the token");
    b.add("username", &A::username, "auth = basic: the user name");
    b.add("password", &A::password, "auth = basic: the password");
    b.add("api_key", &A::api_key, "auth = api_key: the key");
    b.add("api_key_name", &A::api_key_name, "auth = api_key: the header or query parameter carrying it");
    b.add("api_key_in", &A::api_key_in, "auth = api_key: where the key goes").one_of({"header", "query"});
    b.add("token_url", &A::token_url, "auth = oauth2: the token endpoint (client credentials grant)");
    b.add("client_id", &A::client_id, "auth = oauth2: the client id");
    b.add("client_secret", &A::client_secret, "auth = oauth2: the client secret");
    b.add("scope", &A::scope, "auth = oauth2: the scope to request");
    b.add("oauth_client_auth", &A::oauth_client_auth,
          "auth = oauth2: client credentials in a Basic header or in the form body")
        .one_of({"basic", "body"});
    b.add("hmac_secret", &A::hmac_secret,
          "auth = hmac: the shared secret; the signature is hex HMAC-SHA256 of "
          "\"timestamp\\nMETHOD\\n/path?query\\nbody\"");
    b.add("hmac_key_id", &A::hmac_key_id, "auth = hmac: sent as X-Key-Id when set");
    b.add("signature_header", &A::signature_header, "auth = hmac: the header carrying the signature");
    b.add("timestamp_header", &A::timestamp_header, "auth = hmac: the header carrying the Unix time signed");
    return b;
  }();
  return o;
}

const std::string& required(const std::string& value, const char* name, const std::string& auth) {
  if (value.empty()) throw config_error("auth = \"" + auth + "\" needs option '" + name + "'");
  return value;
}

class HeaderAuth : public Auth {
 public:
  HeaderAuth(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  void apply(Request& r, const sdk::Host&) override { r.set_header(name_, value_); }

 private:
  std::string name_, value_;
};

class QueryKeyAuth : public Auth {
 public:
  QueryKeyAuth(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  void apply(Request& r, const sdk::Host&) override { r.url = with_query(r.url, {{name_, value_}}); }

 private:
  std::string name_, value_;
};

// OAuth2 client credentials (RFC 6749 section 4.4). The token is shared by
// every stream and fetched again shortly before it expires.
class OAuth2Auth : public Auth {
 public:
  OAuth2Auth(const AuthSettings& a, Timeouts timeouts)
      : token_url_(required(a.token_url, "token_url", "oauth2")),
        client_id_(required(a.client_id, "client_id", "oauth2")),
        client_secret_(required(a.client_secret.value, "client_secret", "oauth2")),
        scope_(a.scope),
        basic_(a.oauth_client_auth == "basic"),
        client_(timeouts) {}

  void apply(Request& r, const sdk::Host& host) override {
    std::lock_guard lock(mutex_);
    if (token_.empty() || unix_now_ms() >= refresh_at_ms_) fetch(host);
    r.set_header("Authorization", "Bearer " + token_);
  }

  bool renew() override {
    std::lock_guard lock(mutex_);
    token_.clear();
    return true;
  }

 private:
  void fetch(const sdk::Host& host) {
    Request req;
    req.method = "POST";
    req.url = token_url_;
    req.set_header("Content-Type", "application/x-www-form-urlencoded");
    req.set_header("Accept", "application/json");
    req.body = "grant_type=client_credentials";
    if (!scope_.empty()) req.body += "&scope=" + url_encode(scope_);
    if (basic_) {
      req.set_header("Authorization", "Basic " + base64(url_encode(client_id_) + ":" + url_encode(client_secret_)));
    } else {
      req.body += "&client_id=" + url_encode(client_id_) + "&client_secret=" + url_encode(client_secret_);
    }
    Response resp;
    try {
      resp = client_.send(req, [&host] { return host.cancelled(); });
    } catch (const TransportError& e) {
      throw sdk::io_error(std::string("OAuth2 token request: ") + e.what());
    }
    host.count("http_token_requests", 1);
    const std::string excerpt = resp.body.substr(0, 300);
    if (resp.status >= 500 || resp.status == 429)
      throw sdk::io_error("OAuth2 token request to " + token_url_ + ": HTTP " + std::to_string(resp.status));
    if (resp.status < 200 || resp.status >= 300)
      throw config_error("OAuth2 token request to " + token_url_ + " refused: HTTP " + std::to_string(resp.status) +
                         ": " + excerpt);
    json::Value v;
    try {
      v = json::Value::parse(resp.body);
    } catch (const std::exception& e) {
      throw sdk::io_error("OAuth2 token response is not JSON: " + std::string(e.what()));
    }
    if (!v["access_token"].is_string()) throw config_error("OAuth2 token response has no access_token");
    token_ = v["access_token"].as_string();
    // Refresh a little before the server's expiry: a fifth of the lifetime, at most a minute.
    int64_t lifetime_ms = v["expires_in"].is_number() ? static_cast<int64_t>(v["expires_in"].as_double() * 1000) : 3'600'000;
    refresh_at_ms_ = unix_now_ms() + lifetime_ms - std::min<int64_t>(60'000, lifetime_ms / 5);
  }

  std::string token_url_, client_id_, client_secret_, scope_;
  bool basic_;
  Client client_;
  std::mutex mutex_;
  std::string token_;
  int64_t refresh_at_ms_ = 0;
};

// Signs timestamp, method, path with query, and body with HMAC-SHA256.
class HmacAuth : public Auth {
 public:
  explicit HmacAuth(const AuthSettings& a)
      : secret_(required(a.hmac_secret.value, "hmac_secret", "hmac")),
        key_id_(a.hmac_key_id),
        signature_header_(a.signature_header),
        timestamp_header_(a.timestamp_header) {}

  void apply(Request& r, const sdk::Host&) override {
    std::string ts = std::to_string(unix_now_ms() / 1000);
    std::string message = ts + "\n" + r.method + "\n" + path_and_query(r.url) + "\n" + r.body;
    r.set_header(timestamp_header_, ts);
    r.set_header(signature_header_, hmac_sha256_hex(secret_, message));
    if (!key_id_.empty()) r.set_header("X-Key-Id", key_id_);
  }

 private:
  std::string secret_, key_id_, signature_header_, timestamp_header_;
};

class NoAuth : public Auth {
 public:
  void apply(Request&, const sdk::Host&) override {}
};

}  // namespace

std::vector<sdk::OptionSpec> auth_options() { return auth_settings().specs(); }

std::shared_ptr<Auth> make_auth(const Options& o, Timeouts timeouts) {
  const AuthSettings a = auth_settings().bind(o);
  const std::string& kind = a.auth;
  if (kind == "none") return std::make_shared<NoAuth>();
  if (kind == "bearer") return std::make_shared<HeaderAuth>("Authorization", "Bearer " + required(a.token.value, "token", kind));
  if (kind == "basic")
    return std::make_shared<HeaderAuth>("Authorization",
                                        "Basic " + base64(required(a.username, "username", kind) + ":" + a.password.value));
  if (kind == "api_key") {
    const std::string& key = required(a.api_key.value, "api_key", kind);
    if (a.api_key_in == "query") return std::make_shared<QueryKeyAuth>(a.api_key_name, key);
    return std::make_shared<HeaderAuth>(a.api_key_name, key);
  }
  if (kind == "oauth2") return std::make_shared<OAuth2Auth>(a, timeouts);
  if (kind == "hmac") return std::make_shared<HmacAuth>(a);
  throw config_error("auth must be one of none, bearer, basic, api_key, oauth2, hmac; got '" + kind + "'");
}

}  // namespace ingestd::kit::http
