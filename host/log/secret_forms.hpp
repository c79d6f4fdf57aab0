// The shapes a secret takes on its way into a message: a server echoing a
// URL prints it percent-encoded, a connector logging JSON escapes it, libpq
// quotes the password part of a URI back. The redactor looks for all of them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ingestd::log {

// `secret` as given, percent-encoded (upper and lower case hex, '+' for a
// space) and JSON-escaped (with and without '/' escaped); no duplicates.
std::vector<std::string> secret_forms(std::string_view secret);

// Credentials inside a value that need not be a secret itself: the password
// of a URL's userinfo (as written and decoded), the values of query
// parameters and `key=value` pairs with credential-like names
// (password=, api_key=, token=, ...), the token of "Bearer TOKEN".
std::vector<std::string> embedded_credentials(std::string_view value);

// Whether a name (a header, a variable, a config key, a query parameter)
// names a credential: Authorization, X-Api-Key, PGPASSWORD, client_secret...
bool credential_like(std::string_view name);

}  // namespace ingestd::log
