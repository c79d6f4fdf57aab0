// Secrets never leave ingestd: a distinctive marker is seeded through every
// kind of option that carries one (a DSN's password, a URL's userinfo, an
// API key that travels percent-encoded, header values, a connector's
// secrets and env), the places where they come back (libpq quoting a URI, a
// server echoing a request, a connector logging its config as JSON) are
// provoked, and every output, file and table is searched for the marker.
#include "e2e.hpp"
#include "support/net.hpp"

#include <sys/stat.h>

#include <csignal>
#include <filesystem>

using namespace e2e;

namespace {

const std::string kMarker = "SEKRIT42";

// Answers every request 400 with the request line and headers in the body,
// as a careless API does.
const char* kEchoServer = R"py(
import http.server, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.requestline + "\n" + str(self.headers)).encode()
        self.send_response(400)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
)py";

std::string flows(int echo_port) {
  return "[sources.db]\nplugin = \"postgres\"\n"
         // libpq quotes the malformed part of a URI back: the password.
         "config = { dsn = \"postgresql://ingest:S3%zz" + kMarker + "@127.0.0.1:1/db\", connect_attempts = 1 }\n"
         "[sources.api]\nplugin = \"http\"\n[sources.api.config]\n"
         "base_url = \"http://user:pw" + kMarker + "@127.0.0.1:" + std::to_string(echo_port) + "/\"\n"
         "headers = { Authorization = \"Bearer tok" + kMarker + "\", \"X-Team\" = \"team-" + kMarker + "\" }\n"
         "auth = \"api_key\"\napi_key = 'k+" + kMarker + "/\"x'\napi_key_in = \"query\"\napi_key_name = \"api_key\"\n"
         "max_retries = 0\n[sources.api.config.streams.items]\npath = \"/items\"\n"
         "[sources.tap]\nplugin = \"singer\"\n[sources.tap.config]\n"
         "command = [\"/usr/bin/python3\", \"" SINGER_TAP_SCRIPT "\"]\n"
         "config = { users = 3, orders = 1, echo_config = true, echo_env = \"TAP_TOKEN\" }\n"
         "secrets = { api_token = 'tap\"" + kMarker + "\\x' }\n"
         "env = { TAP_TOKEN = \"env-" + kMarker + "\", DEBUG = \"1\" }\n"
         "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
         "[[flows]]\nname = \"db\"\nfrom = \"db\"\nto = \"out\"\nstreams = [\"public.t\"]\n"
         "[[flows]]\nname = \"api\"\nfrom = \"api\"\nto = \"out\"\nretries = 0\n"
         "[[flows]]\nname = \"tap\"\nfrom = \"tap\"\nto = \"out\"\nstreams = [\"users\"]\n";
}

// The files under the workspace that hold `needle` (the state database and
// its WAL included), but for the flow file, where the user wrote it.
std::vector<std::string> files_with(const Workspace& w, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(w.dir.path()))
    if (e.is_regular_file() && e.path().filename() != "flows.toml" && contains(read_file(e.path().string()), needle))
      out.push_back(e.path().string());
  return out;
}

}  // namespace

TEST_CASE("secrets: a marker seeded through every kind of option reaches no output, file or table") {
  Workspace w;
  const int port = testing::free_port();
  testing::Child echo({"/usr/bin/python3", "-c", kEchoServer, std::to_string(port)});
  REQUIRE(testing::wait_listening(port, 30));
  w.write("flows.toml", flows(port));

  std::string printed;
  auto keep = [&](const std::string& what, const Result& r) { printed += "\n=== " + what + "\n" + r.out + r.err; };
  Result run = w.ingestd({"run", "flows.toml", "--report", "report.json", "--no-progress"});
  keep("run", run);
  CHECK_MESSAGE(run.exit_code == 1, dump(run));  // the database and the API fail; the tap does not
  // What was provoked did happen, redacted.
  CHECK_MESSAGE(contains(run.err, "connection string is malformed: invalid percent-encoded token"), dump(run));
  CHECK_MESSAGE(!contains(run.err, "retrying"), dump(run));  // a malformed DSN is no network fault
  CHECK_MESSAGE(contains(run.err, "HTTP 400: GET /items?api_key=***"), dump(run));
  CHECK_MESSAGE(contains(run.err, "INFO config: "), dump(run));
  CHECK_MESSAGE(contains(run.err, "INFO env: TAP_TOKEN=***"), dump(run));
  keep("run, JSON logs", w.ingestd({"--log-format", "json", "run", "flows.toml", "--report", "-"}));
  keep("validate", w.ingestd({"validate", "flows.toml", "--connect"}));
  keep("check", w.ingestd({"check", "flows.toml"}));
  keep("runs", w.ingestd({"runs", "flows.toml", "--format", "json"}));
  keep("state show", w.ingestd({"state", "show", "flows.toml", "--format", "json", "--full"}));
  keep("discover", w.ingestd({"discover", "flows.toml", "--source", "api"}));
  CHECK_MESSAGE(!contains(printed, kMarker), printed);
  CHECK(files_with(w, "\"rows\":3").size() == 1);  // the report: the search does read files
  CHECK(files_with(w, "2026-01-01T00:00:03Z").size() >= 2);  // the tap's rows and its state
  const auto leaked = files_with(w, kMarker);
  CHECK_MESSAGE(leaked.empty(), (leaked.empty() ? std::string() : leaked.front()));

  // The state database is this user's alone.
  struct stat st {};
  REQUIRE(::stat(w.path(".ingestd/state.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  echo.signal(SIGTERM);
  echo.wait();
}

TEST_CASE("secrets: a malformed ${ in a DSN is reported without the DSN") {
  Workspace w;
  w.write("flows.toml", "[sources.db]\nplugin = \"postgres\"\nconfig = { dsn = \"postgresql://u:dsn-" + kMarker +
                            "@h/db?x=${OOPS\" }\n[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\" }\n"
                            "[[flows]]\nname = \"f\"\nfrom = \"db\"\nto = \"out\"\n");
  for (const char* command : {"validate", "run"}) {
    Result r = w.ingestd({command, "flows.toml"});
    CHECK_MESSAGE(r.exit_code == 2, dump(r));
    CHECK_MESSAGE(contains(r.err, "unterminated '${'"), dump(r));
    CHECK_MESSAGE(!contains(r.out + r.err, kMarker), dump(r));
  }
}
