// The schema and table filters of the SQL sources.
#include <doctest/doctest.h>

#include <ingestd/kit/sql/name_filter.hpp>

using ingestd::kit::sql::name_selected;

TEST_CASE("sql name filter: globs include, \"!glob\" excludes, and no including glob means everything") {
  CHECK(name_selected({}, {"orders", "shop.orders"}));
  CHECK(name_selected({"ord*"}, {"orders", "shop.orders"}));
  CHECK(name_selected({"shop.*"}, {"orders", "shop.orders"}));
  CHECK_FALSE(name_selected({"cust*"}, {"orders", "shop.orders"}));
  CHECK_FALSE(name_selected({"!*.orders"}, {"orders", "shop.orders"}));
  CHECK(name_selected({"!tmp_*"}, {"orders", "shop.orders"}));
  // An exclusion wins over an inclusion that also matches.
  CHECK_FALSE(name_selected({"*", "!orders"}, {"orders", "shop.orders"}));
}
