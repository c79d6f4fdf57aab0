// The webhook source facing hostile producers: events built to stop the
// stream, values of the wrong type, a producer trying to delete rows, bodies
// framed to slip past max_body or a proxy, unsigned and replayed requests.
// Each is refused before anything is answered 200, and good producers keep
// being served.
#include "e2e.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"

#include <ingestd/sdk/json.hpp>

#include <csignal>
#include <ctime>

using namespace e2e;
using testing::http_status;
using testing::raw_http;
using testing::scalar;

namespace {

std::string hook_flow(int port, const std::string& extra_config = "") {
  return "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
         ", columns = [\"event_id:string\", \"amount:float64\"], flush_interval = \"20ms\", max_body = \"64KiB\"" +
         extra_config +
         " }\n[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"events.db\" }\n"
         "[[flows]]\nname = \"hook\"\nfrom = \"hook\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
         "load = \"merge\"\nprimary_key = [\"event_id\"]\nhard_delete = true\n";
}

std::unique_ptr<testing::Child> start(const Workspace& w, int port) {
  testing::Options o;
  o.cwd = w.dir.path();
  auto child = std::make_unique<testing::Child>(
      std::vector<std::string>{testing::ingestd_bin(), "run", "flows.toml", "--no-progress"}, o);
  REQUIRE(testing::wait_listening(port, 30));
  return child;
}

std::string post(int port, const std::string& body, const std::string& headers = "") {
  return raw_http(port, "POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n" +
                            headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace

TEST_CASE("webhook hostile: events built to stop the stream are refused with 400, and the stream goes on") {
  Workspace w;
  const int port = testing::free_port();
  w.write("flows.toml", hook_flow(port));
  auto ingestd = start(w, port);
  REQUIRE(http_status(post(port, "{\"event_id\": \"good-1\", \"amount\": 1.5}")) == 200);

  std::string many = "{\"event_id\": \"wide\"";
  for (int i = 0; i < 1000; ++i) many += ", \"k" + std::to_string(i) + "\": " + std::to_string(i);
  many += "}";
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"{\"event_id\": \"a\", \"EVENT_ID\": \"b\"}", "keys 'event_id' and 'EVENT_ID' differ only in case"},
      {"{\"event_id\": \"c\", \"\": 1}", "an empty key"},
      {"{\"event_id\": \"d\", \"Amount\": 2}", "key 'Amount' differs only in case from the column 'amount'"},
      {many, "more than max_columns (500)"},
      {"{\"event_id\": \"e\", \"amount\": \"abc\"}", "amount"},
      {"[{\"event_id\": \"f\"}, {\"event_id\": \"g\", \"amount\": \"twelve\"}]", "event 2: "},
  };
  for (const auto& [body, why] : hostile) {
    std::string answer = post(port, body);
    CHECK_MESSAGE(http_status(answer) == 400, body.substr(0, 80) << "\n" << answer);
    CHECK_MESSAGE(contains(answer, why), body.substr(0, 80) << "\n" << answer);
  }
  // A producer cannot delete rows by sending ingestd's metadata column.
  REQUIRE(http_status(post(port, "{\"event_id\": \"good-2\", \"amount\": 2}")) == 200);
  REQUIRE(http_status(post(port, "{\"event_id\": \"good-2\", \"amount\": 3, \"_ingestd_deleted\": true}")) == 200);
  REQUIRE(http_status(post(port, "{\"event_id\": \"good-3\", \"amount\": 4}")) == 200);

  ingestd->signal(SIGTERM);
  Result done = ingestd->wait();
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
  // Every 200 is a row; nothing refused is.
  CHECK(scalar(w.path("events.db"), "SELECT group_concat(event_id) FROM (SELECT event_id FROM events ORDER BY "
                                    "event_id)") == "good-1,good-2,good-3");
  CHECK(scalar(w.path("events.db"), "SELECT amount || '/' || _ingestd_deleted || '/' || _source_ingestd_deleted FROM "
                                    "events WHERE event_id = 'good-2'") == "3.0/0/1");
  CHECK_MESSAGE(contains(done.err, "the source's column '_ingestd_deleted' is loaded as '_source_ingestd_deleted'"),
                dump(done));
}

TEST_CASE("webhook hostile: max_body holds for every framing, and ambiguous framing is refused") {
  Workspace w;
  const int port = testing::free_port();
  w.write("flows.toml", hook_flow(port));
  auto ingestd = start(w, port);
  const std::string head = "POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  // 8 MiB in chunks of 64 KiB, against a max_body of 64 KiB.
  std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "{\"event_id\": \"" + std::string(64 * 1024 - 20, 'x') + "\"}\n";
  for (int i = 0; i < 128; ++i) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    chunked += size + chunk + "\r\n";
  }
  chunked += "0\r\n\r\n";
  std::string answer = raw_http(port, chunked);
  CHECK_MESSAGE(http_status(answer) == 413, answer);
  // A body without a length would be read to the end of the connection.
  answer = raw_http(port, head + "\r\n", 8 << 20);
  CHECK_MESSAGE(http_status(answer) == 411, answer);
  // Two framings at once is how requests are smuggled past a proxy.
  answer = raw_http(port, head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK_MESSAGE(http_status(answer) == 400, answer);
  CHECK_MESSAGE(contains(answer, "both Content-Length and Transfer-Encoding"), answer);
  // A declared length over the limit is refused unread.
  answer = raw_http(port, head + "Content-Length: 100000000\r\n\r\n", 1 << 20);
  CHECK_MESSAGE(http_status(answer) == 413, answer);
  CHECK(http_status(post(port, "{\"event_id\": \"fine\"}")) == 200);
  ingestd->signal(SIGTERM);
  Result done = ingestd->wait();
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
  CHECK_MESSAGE(done.max_rss_kb < 200 * 1024, "peak " << done.max_rss_kb << " KiB");
  CHECK(scalar(w.path("events.db"), "SELECT count(*) FROM events") == "1");
}

TEST_CASE("webhook hostile: signatures are checked before the body, replays outside the tolerance are refused") {
  Workspace w;
  const int port = testing::free_port();
  w.write("flows.toml", hook_flow(port, ", secret = \"\""));
  Result empty = w.ingestd({"run", "flows.toml"});
  CHECK_MESSAGE(empty.exit_code == 2, dump(empty));
  CHECK_MESSAGE(contains(empty.err, "secret is empty"), dump(empty));

  w.write("flows.toml", hook_flow(port, ", secret = \"hook-s3cret\", signature_tolerance = \"5m\""));
  auto ingestd = start(w, port);
  // No signature: refused on the headers, the promised 100 MB never read.
  std::string answer = raw_http(port, "POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                                      "100000\r\n\r\n", 0, 'x', 10);
  CHECK_MESSAGE(http_status(answer) == 401, answer);
  const std::string body = "{\"event_id\": \"signed\"}";
  auto signed_post = [&](int64_t timestamp) {
    const std::string ts = std::to_string(timestamp);
    Result sig = testing::run({"/usr/bin/python3", "-c",
                               "import hmac, hashlib, sys; print(hmac.new(b'hook-s3cret', sys.argv[1].encode(), "
                               "hashlib.sha256).hexdigest())",
                               ts + "." + body});
    std::string hex = sig.out.substr(0, 64);
    return post(port, body, "X-Timestamp: " + ts + "\r\nX-Signature: sha256=" + hex + "\r\n");
  };
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  answer = signed_post(now - 3600);  // recorded an hour ago and sent again
  CHECK_MESSAGE(http_status(answer) == 401, answer);
  CHECK_MESSAGE(contains(answer, "outside signature_tolerance"), answer);
  answer = signed_post(now);
  CHECK_MESSAGE(http_status(answer) == 200, answer);
  // The timestamp is signed: changing it breaks the signature.
  answer = post(port, body, "X-Timestamp: " + std::to_string(now + 1) + "\r\nX-Signature: sha256=00\r\n");
  CHECK_MESSAGE(http_status(answer) == 401, answer);
  ingestd->signal(SIGTERM);
  Result done = ingestd->wait();
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
  CHECK(scalar(w.path("events.db"), "SELECT count(*) FROM events") == "1");
}

TEST_CASE("webhook hostile: with dedup_key a replayed request is answered 200 and loads nothing again") {
  Workspace w;
  const int port = testing::free_port();
  std::string flow = hook_flow(port, ", dedup_key = \"event_id\", dedup_window = 2");
  const std::string merge = "load = \"merge\"\nprimary_key = [\"event_id\"]\nhard_delete = true\n";
  flow.replace(flow.find(merge), merge.size(), "load = \"append\"\n");
  w.write("flows.toml", flow);
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child ingestd({testing::ingestd_bin(), "run", "flows.toml", "--no-progress", "--report", "report.json"}, o);
  REQUIRE(testing::wait_listening(port, 30));

  const std::string a = "{\"event_id\": \"a\", \"amount\": 1}";
  std::string answer = post(port, a);
  CHECK_MESSAGE((http_status(answer) == 200 && !contains(answer, "duplicates")), answer);
  answer = post(port, a);  // the same request again, as a retrying producer sends it
  CHECK_MESSAGE((http_status(answer) == 200 && contains(answer, "\"duplicates\": 1")), answer);
  answer = post(port, "[" + a + ", {\"event_id\": \"b\"}, {\"event_id\": \"b\"}]");
  CHECK_MESSAGE((http_status(answer) == 200 && contains(answer, "\"duplicates\": 2")), answer);
  answer = post(port, "{\"amount\": 5}");
  CHECK_MESSAGE(http_status(answer) == 400, answer);
  CHECK_MESSAGE(contains(answer, "no 'event_id' (dedup_key)"), answer);
  // Three more ids push "a" out of a window of two: it loads again.
  for (const char* id : {"c", "d", "e"})
    CHECK(http_status(post(port, std::string("{\"event_id\": \"") + id + "\"}")) == 200);
  answer = post(port, a);
  CHECK_MESSAGE((http_status(answer) == 200 && !contains(answer, "duplicates")), answer);

  ingestd.signal(SIGTERM);
  Result done = ingestd.wait();
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
  CHECK(scalar(w.path("events.db"), "SELECT group_concat(event_id) FROM (SELECT event_id FROM events ORDER BY "
                                    "event_id)") == "a,a,b,c,d,e");
  const auto report = ingestd::json::Value::parse(w.read("report.json"));
  CHECK(stream_of(report, "events")["counters"]["events_duplicate"].as_int() == 3);
}
