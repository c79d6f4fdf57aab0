// Transforms through the real binary: the map transform's operations in
// their fixed order, chains, schema changes passing through, filters that
// remove whole batches, and errors with their locations.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <openssl/evp.h>

#include <filesystem>

using namespace e2e;
using ingestd::json::Value;
using testing::query;
using testing::Rows;

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) out += std::string{hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

// users(id, email, country, age TEXT, card, signup TEXT, notes) read
// incrementally from src.db into dst.db through `transforms`.
std::string users_flow(const std::string& transforms, const std::string& flow_keys) {
  return "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
         "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n" +
         transforms +
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-appends\"\ncursor = \"id\"\n" +
         flow_keys;
}

void create_users(const Workspace& w) {
  testing::execute(w.path("src.db"),
                   "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, country TEXT, age TEXT, card TEXT, "
                   "signup TEXT, notes TEXT);"
                   "INSERT INTO users VALUES (1, 'ann@example.com', 'fr', '34', '4111111111111111', '2024-01-02', 'x'),"
                   "(2, 'bob@example.com', 'test', '40', '4222222222222222', '2024-02-03', 'y'),"
                   "(3, 'cid@example.com', 'de', '17', '4333333333333333', '2024-03-04', NULL),"
                   "(4, NULL, 'de', '25', NULL, '2024-04-05', 'z');");
}

Result run(const Workspace& w, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"run", "flows.toml"};
  args.insert(args.end(), extra.begin(), extra.end());
  return w.ingestd(args);
}

}  // namespace

TEST_CASE("transforms: map drops, renames, casts, hashes, masks, sets and filters in that order, and idle reruns rewrite nothing") {
  Workspace w;
  create_users(w);
  w.write("flows.toml",
          users_flow("[transforms.pii]\nplugin = \"map\"\nconfig = { drop = [\"not*\"], rename = { email = \"mail\" }, "
                     "cast = { age = \"int32\", signup = \"date\" }, hash = [\"mail\"], salt = \"${SALT}\", "
                     "mask = { card = 4 }, set = { origin = \"crm\", run = \"{run_id}\" }, "
                     "filter = \"country != 'test' and age >= 18\" }\n",
                     "load = \"merge\"\nprimary_key = [\"id\"]\ntransforms = [\"pii\"]\n"));
  testing::Options env;
  env.env = {{"SALT", "s3cret-pepper"}};
  env.cwd = w.dir.path();
  Result r = testing::ingestd({"run", "flows.toml", "--report", "report.json"}, env);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("dst.db"), "SELECT name, type FROM pragma_table_info('users') WHERE name NOT LIKE '\\_ingestd%' ESCAPE '\\'") ==
        Rows{{"id", "INTEGER"}, {"mail", "TEXT"}, {"country", "TEXT"}, {"age", "INTEGER"}, {"card", "TEXT"},
             {"signup", "DATE"}, {"origin", "TEXT"}, {"run", "TEXT"}});
  // Rows 2 (a test account) and 3 (under 18) are filtered out; nulls stay null.
  CHECK(query(w.path("dst.db"), "SELECT id, mail, country, age, card, signup, origin FROM users ORDER BY id") ==
        Rows{{"1", sha256_hex("s3cret-pepperann@example.com"), "fr", "34", "************1111", "2024-01-02", "crm"},
             {"4", "NULL", "de", "25", "NULL", "2024-04-05", "crm"}});
  const Value report = Value::parse(w.read("report.json"));
  CHECK(query(w.path("dst.db"), "SELECT DISTINCT run FROM users") == Rows{{report["run_id"].as_string()}});
  CHECK(stream_of(report, "users")["counters"]["rows_filtered"].as_int() == 2);
  CHECK_FALSE(contains(r.out + r.err, "s3cret-pepper"));

  // Nothing new: the rerun reads nothing and rewrites no row.
  Result idle = testing::ingestd({"run", "flows.toml"}, env);
  REQUIRE_MESSAGE(idle.exit_code == 0, dump(idle));
  CHECK(query(w.path("dst.db"), "SELECT DISTINCT run FROM users") == Rows{{report["run_id"].as_string()}});
  CHECK_FALSE(contains(idle.out, "rows_filtered"));

  // New rows after a change: only the new ones arrive, through the same chain.
  testing::execute(w.path("src.db"), "INSERT INTO users VALUES (5, 'eve@example.com', 'it', '51', '4555', '2024-05-06', 'n'),"
                                     "(6, 'fay@example.com', 'test', '60', '4666', '2024-06-07', 'n');");
  Result again = testing::ingestd({"run", "flows.toml"}, env);
  REQUIRE_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(query(w.path("dst.db"), "SELECT id, mail, card FROM users WHERE id > 4") ==
        Rows{{"5", sha256_hex("s3cret-pepper" + std::string("eve@example.com")), "4555"}});
  CHECK(query(w.path("dst.db"), "SELECT count(DISTINCT run) FROM users") == Rows{{"2"}});
}

TEST_CASE("transforms: a filter that removes every row of its batches still lets the state move on") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE users (id INTEGER PRIMARY KEY, country TEXT);"
                                     "INSERT INTO users VALUES (1,'test'),(2,'test'),(3,'test'),(4,'test'),(5,'test');");
  w.write("flows.toml", users_flow("[transforms.real]\nplugin = \"map\"\nconfig = { filter = \"country != 'test'\" }\n",
                                   "batch_rows = 2\ntransforms = [\"real\"]\n"));
  Result first = run(w, {"--report", "report.json"});
  REQUIRE_MESSAGE(first.exit_code == 0, dump(first));
  const Value report = Value::parse(w.read("report.json"));
  CHECK(stream_of(report, "users")["counters"]["rows_filtered"].as_int() == 5);
  CHECK(stream_of(report, "users")["checkpoint"].dump().find("5") != std::string::npos);
  // The next run starts after row 5: it filters nothing again.
  Result idle = run(w, {"--report", "report.json"});
  REQUIRE_MESSAGE(idle.exit_code == 0, dump(idle));
  CHECK_FALSE(stream_of(Value::parse(w.read("report.json")), "users")["counters"]["rows_filtered"].is_int());
  testing::execute(w.path("src.db"), "INSERT INTO users VALUES (6,'fr'),(7,'test');");
  REQUIRE(run(w).exit_code == 0);
  CHECK(query(w.path("dst.db"), "SELECT id, country FROM users") == Rows{{"6", "fr"}});
}

TEST_CASE("transforms: columns the source adds later pass through the chain, globs and all") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, secret_a TEXT);"
                                     "INSERT INTO users VALUES (1, 'ann', 'x');");
  // Two maps chained: the second filters on the name the first gave.
  w.write("flows.toml",
          users_flow("[transforms.tidy]\nplugin = \"map\"\nconfig = { drop = [\"secret_*\"], rename = { name = \"who\" } }\n"
                     "[transforms.only_ann_and_bea]\nplugin = \"map\"\nconfig = { filter = \"who in ('ann', 'bea')\" }\n",
                     "transforms = [\"tidy\", \"only_ann_and_bea\"]\n"));
  REQUIRE(run(w).exit_code == 0);
  testing::execute(w.path("src.db"), "ALTER TABLE users ADD COLUMN city TEXT; ALTER TABLE users ADD COLUMN secret_b TEXT;"
                                     "INSERT INTO users VALUES (2, 'bea', 'y', 'Oslo', 'z'), (3, 'cid', 'y', 'Rome', 'z');");
  Result r = run(w, {"--rediscover"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("dst.db"), "SELECT name FROM pragma_table_info('users') WHERE name NOT LIKE '\\_ingestd%' ESCAPE '\\'") ==
        Rows{{"id"}, {"who"}, {"city"}});
  CHECK(query(w.path("dst.db"), "SELECT id, who, city FROM users ORDER BY id") == Rows{{"1", "ann", "NULL"}, {"2", "bea", "Oslo"}});
  // discover --flow shows the columns as the flow delivers them.
  Result d = w.ingestd({"discover", "flows.toml", "--flow", "f", "--format", "json"});
  REQUIRE_MESSAGE(d.exit_code == 0, dump(d));
  std::string columns;
  const Value streams = Value::parse(d.out);
  for (const auto& c : streams.as_array()[0]["columns"].as_array()) columns += c["name"].as_string() + " ";
  CHECK(columns == "id who city ");
}

TEST_CASE("transforms: a value cast cannot convert fails with its row, or goes to the dead letter with on_error = skip") {
  Workspace w;
  w.write("in.csv", "id,day\n1,2024-01-01\n2,2024-13-40\n3,2024-02-29\n");
  auto flow = [](const std::string& on_error) {
    return "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"in.csv\", columns = [\"id:int64\", \"day:string\"] }\n"
           "[transforms.dates]\nplugin = \"map\"\nconfig = { cast = { day = \"date\" }" + on_error + " }\n"
           "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
           "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"out\"\nretries = 0\ntransforms = [\"dates\"]\n";
  };
  w.write("flows.toml", flow(""));
  Result failed = run(w);
  CHECK_MESSAGE(failed.exit_code != 0, dump(failed));
  CHECK_MESSAGE(contains(failed.out + failed.err, "map: stream 'in', row 2, column 'day': cannot cast string to date "
                                                  "(value '2024-13-40')"),
                dump(failed));
  if (std::filesystem::exists(w.path("out/in.jsonl"))) CHECK(w.lines("out/in.jsonl").empty());

  w.write("flows.toml", flow(", on_error = \"skip\", dead_letter = \"rejected/{stream}.jsonl\""));
  Result skipped = run(w, {"--report", "report.json"});
  REQUIRE_MESSAGE(skipped.exit_code == 0, dump(skipped));
  CHECK(w.lines("out/in.jsonl") == std::vector<std::string>{R"({"id":1,"day":"2024-01-01"})", R"({"id":3,"day":"2024-02-29"})"});
  auto rejected = w.lines("rejected/in.jsonl");
  REQUIRE(rejected.size() == 1);
  const Value dead = Value::parse(rejected[0]);
  CHECK(dead["row"].as_int() == 2);
  CHECK(dead["column"].as_string() == "day");
  CHECK(dead["record"].dump() == R"({"id":2,"day":"2024-13-40"})");
  CHECK(stream_of(Value::parse(w.read("report.json")), "in")["counters"]["rows_rejected"].as_int() == 1);
}

TEST_CASE("transforms: mistakes are named with where they are and what would be valid") {
  Workspace w;
  create_users(w);
  auto write = [&](const std::string& config, const std::string& flow_keys) {
    w.write("flows.toml", users_flow("[transforms.t]\nplugin = \"map\"\nconfig = { " + config + " }\n", flow_keys));
  };
  // A rename of a column the stream lacks names the stream's columns.
  write("rename = { emial = \"mail\" }", "transforms = [\"t\"]\n");
  Result r = w.ingestd({"validate", "--connect", "flows.toml"});
  CHECK_MESSAGE(r.exit_code == 2, dump(r));
  CHECK_MESSAGE(contains(r.out, "flows.toml:7:13: transforms.t: rename: stream 'users' has no column 'emial' at this step "
                                "(its columns: id, email, country, age, card, signup, notes)"),
                dump(r));
  Result run_it = run(w);
  CHECK_MESSAGE(run_it.exit_code != 0, dump(run_it));
  if (std::filesystem::exists(w.path("dst.db")))
    CHECK(query(w.path("dst.db"), "SELECT name FROM sqlite_master WHERE name = 'users'").empty());

  // Two columns left with one name.
  write("rename = { email = \"country\" }", "transforms = [\"t\"]\n");
  r = w.ingestd({"validate", "--connect", "flows.toml"});
  CHECK_MESSAGE(r.exit_code == 2, dump(r));
  CHECK_MESSAGE(contains(r.out, "rename: stream 'users' would have two columns named 'country'"), dump(r));

  // A merge whose key a transform drops.
  write("drop = [\"id\"]", "load = \"merge\"\nprimary_key = [\"id\"]\ntransforms = [\"t\"]\n");
  r = w.ingestd({"validate", "--connect", "flows.toml"});
  CHECK_MESSAGE(r.exit_code == 2, dump(r));
  CHECK_MESSAGE(contains(r.out, "its transforms leave no column 'id', which the merge load's primary key needs"), dump(r));

  // Offline: a filter that does not parse, a hash without a salt, an unknown transform, an unknown option.
  write("filter = \"age >> 3\"", "transforms = [\"t\"]\n");
  r = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(contains(r.err, "transforms.t: filter: expected a constant"), dump(r));
  write("hash = [\"email\"]", "transforms = [\"t\"]\n");
  r = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(contains(r.err, "hash needs a salt"), dump(r));
  write("drop = [\"notes\"]", "transforms = [\"t\", \"nope\"]\n");
  r = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(r.exit_code == 2, dump(r));
  CHECK_MESSAGE(contains(r.err, "flows.f.transforms: no transform named 'nope' (defined transforms: t)"), dump(r));
  write("dorp = [\"notes\"]", "transforms = [\"t\"]\n");
  r = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(contains(r.err, "transforms.t.config.dorp: unknown option for plugin 'map' as a transform"), dump(r));
  // A source plugin named as a transform.
  w.write("flows.toml", users_flow("[transforms.t]\nplugin = \"sqlite\"\n", "transforms = [\"t\"]\n"));
  r = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(contains(r.err, "plugin 'sqlite' cannot be a transform"), dump(r));
}

TEST_CASE("transforms: a stream's own list replaces the flow's") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT);"
                                     "INSERT INTO a VALUES (1, 'one'); INSERT INTO b VALUES (1, 'one');");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
          "[transforms.tag_a]\nplugin = \"map\"\nconfig = { set = { tag = \"flow\" } }\n"
          "[transforms.tag_b]\nplugin = \"map\"\nconfig = { set = { tag = \"stream\" }, mask = { v = 1 } }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\ntransforms = [\"tag_a\"]\n"
          "[flows.streams.a]\n[flows.streams.b]\ntransforms = [\"tag_b\"]\n");
  Result r = run(w);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("dst.db"), "SELECT v, tag FROM a") == Rows{{"one", "flow"}});
  CHECK(query(w.path("dst.db"), "SELECT v, tag FROM b") == Rows{{"**e", "stream"}});
}

TEST_CASE("transforms: renames apply at once, so two columns can swap names") {
  Workspace w;
  create_users(w);
  w.write("flows.toml", users_flow("[transforms.t]\nplugin = \"map\"\nconfig = { select = [\"id\", \"email\", \"country\"], "
                                   "rename = { email = \"country\", country = \"email\" } }\n",
                                   "transforms = [\"t\"]\n"));
  Result r = run(w);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("dst.db"), "SELECT id, email, country FROM users WHERE id <= 2 ORDER BY id") ==
        Rows{{"1", "fr", "ann@example.com"}, {"2", "test", "bob@example.com"}});
  Result idle = run(w);
  REQUIRE_MESSAGE(idle.exit_code == 0, dump(idle));
  CHECK(query(w.path("dst.db"), "SELECT count(*) FROM users") == Rows{{"4"}});
}
