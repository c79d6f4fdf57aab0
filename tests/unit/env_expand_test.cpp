#include <doctest/doctest.h>

#include "config/env_expand.hpp"

#include <cstdlib>
#include <stdexcept>

using namespace ingestd;

TEST_CASE("env: ${VAR} is replaced, ${VAR:-x} falls back, $${ is literal") {
  setenv("INGESTD_TEST_HOST", "db.example", 1);
  unsetenv("INGESTD_TEST_MISSING");
  auto e = expand_env("postgres://${INGESTD_TEST_HOST}:5432");
  CHECK(e.value == "postgres://db.example:5432");
  CHECK(e.used_environment);
  CHECK(expand_env("${INGESTD_TEST_MISSING:-fallback}").value == "fallback");
  CHECK(expand_env("cost $${not_a_var}").value == "cost ${not_a_var}");
  CHECK_FALSE(expand_env("plain").used_environment);
}

TEST_CASE("env: a missing variable is an error naming it") {
  unsetenv("INGESTD_TEST_MISSING");
  try {
    expand_env("x${INGESTD_TEST_MISSING}y");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("INGESTD_TEST_MISSING") != std::string::npos);
  }
  CHECK_THROWS(expand_env("${UNTERMINATED"));
}
