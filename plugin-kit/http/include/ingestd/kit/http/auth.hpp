// Credentials added to every request: bearer token, basic, API key (header or
// query), OAuth2 client credentials (token fetched and refreshed before it
// expires), HMAC request signing. Shared by the streams of an instance.
#pragma once

#include <ingestd/kit/http/client.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::kit::http {

class Auth {
 public:
  virtual ~Auth() = default;
  // Adds credentials to `request`; called before every attempt, from any
  // stream thread. `host` counts token requests.
  virtual void apply(Request& request, const sdk::Host& host) = 0;
  // The server answered 401: forget cached credentials. True when fresh ones
  // may succeed (a new OAuth2 token), so the request is worth one more try.
  virtual bool renew() { return false; }
};

// The auth options every HTTP-based plugin offers (auth, token, username,
// password, api_key, ...), for its descriptor.
std::vector<sdk::OptionSpec> auth_options();

// Builds the auth that `options` select; throws a config error naming the
// missing or invalid option.
std::shared_ptr<Auth> make_auth(const sdk::Options& options, Timeouts timeouts);

}  // namespace ingestd::kit::http
