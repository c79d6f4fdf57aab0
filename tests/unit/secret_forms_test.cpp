#include "log/logging.hpp"
#include "log/secret_forms.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace ingestd::log;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("secrets: every printed form of a secret is known") {
  auto forms = secret_forms("a b/\"c\\");
  CHECK(has(forms, "a b/\"c\\"));
  CHECK(has(forms, "a%20b%2F%22c%5C"));
  CHECK(has(forms, "a%20b%2f%22c%5c"));
  CHECK(has(forms, "a+b%2F%22c%5C"));
  CHECK(has(forms, "a b/\\\"c\\\\"));
  CHECK(has(forms, "a b\\/\\\"c\\\\"));
  CHECK(secret_forms("plain") == std::vector<std::string>{"plain"});
  CHECK(secret_forms("").empty());
}

TEST_CASE("secrets: credentials inside URLs, connection strings and Authorization values") {
  auto url = embedded_credentials("postgresql://app:p%40ss@db.internal:5432/prod?sslmode=require&password=two");
  CHECK(has(url, "p%40ss"));
  CHECK(has(url, "p@ss"));
  CHECK(has(url, "two"));
  CHECK_FALSE(has(url, "require"));
  CHECK_FALSE(has(url, "app"));
  auto conninfo = embedded_credentials("host=db user=app password='s3 cret' dbname=prod");
  CHECK(has(conninfo, "s3 cret"));
  CHECK(conninfo.size() == 1);
  CHECK(embedded_credentials("https://api.example.com/v1?api_key=k%2Bey&page=2") ==
        std::vector<std::string>{"k%2Bey", "k+ey"});
  CHECK(embedded_credentials("Bearer abc.def") == std::vector<std::string>{"abc.def"});
  CHECK(embedded_credentials("hello world").empty());
  CHECK(embedded_credentials("https://example.com/a b").empty());
}

TEST_CASE("secrets: names of credentials") {
  for (const char* name : {"Authorization", "X-Api-Key", "PGPASSWORD", "client_secret", "access_token", "key", "pwd",
                           "AWS_SECRET_ACCESS_KEY", "Cookie"})
    CHECK_MESSAGE(credential_like(name), name);
  for (const char* name : {"Accept", "primary_key", "author", "DEBUG", "page", "sslmode", "keyboard"})
    CHECK_MESSAGE(!credential_like(name), name);
}

TEST_CASE("secrets: the redactor hides a DSN's password wherever it is quoted") {
  add_secret("postgresql://u:zq9%zzpw@h/db");
  CHECK(redact("invalid percent-encoded token: \"zq9%zzpw\"") == "invalid percent-encoded token: \"***\"");
  add_credentials_in("https://user:upw-77@example.com/");
  CHECK(redact("GET https://user:upw-77@example.com/x") == "GET https://user:***@example.com/x");
  CHECK(redact("user") == "user");
}
