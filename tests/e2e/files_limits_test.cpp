// The files source against files a careless producer or an attacker leaves
// in a landing folder: a "line" of gigabytes, a header of 200,000 columns,
// thousands of tiny files, links pointing out of the folder, a named pipe.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using namespace e2e;
using ingestd::json::Value;
using testing::scalar;

namespace {

// A sparse file of `bytes` zeros: no line end anywhere.
void sparse_file(const std::string& path, off_t bytes) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, bytes) == 0);
  ::close(fd);
}

std::string to_sqlite(const std::string& source_config, const std::string& flow_extra = "") {
  return "[sources.in]\nplugin = \"files\"\nconfig = { " + source_config +
         " }\n[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"db\"\n" + flow_extra;
}

}  // namespace

TEST_CASE("files limits: a gigabyte without a line end fails at max_record_bytes, in bounded memory") {
  for (const char* format : {"csv", "jsonl"}) {
    Workspace w;
    std::filesystem::create_directories(w.path("in"));
    w.write(std::string("in/a.") + format, std::string(format) == "csv" ? "id\n1\n" : "{\"id\": 1}\n");
    sparse_file(w.path(std::string("in/b.") + format), off_t{1} << 30);
    w.write("flows.toml", to_sqlite(std::string("path = \"in\", format = \"") + format + "\""));
    Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
    CHECK_MESSAGE(r.exit_code == 1, dump(r));
    CHECK_MESSAGE(contains(r.err, std::string("in/b.") + format + ":1: a "), dump(r));
    CHECK_MESSAGE(contains(r.err, "longer than max_record_bytes (16777216 bytes)"), dump(r));
    CHECK_MESSAGE(r.max_rss_kb < 256 * 1024, format << ": peak " << r.max_rss_kb << " KiB");
  }
  // A smaller limit, and the line it stops at.
  Workspace w;
  w.write("a.csv", "id,v\n1,short\n2," + std::string(3000, 'x') + "\n3,after\n");
  w.write("flows.toml", to_sqlite("path = \"a.csv\", max_record_bytes = \"2KiB\""));
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(r.exit_code == 1, dump(r));
  CHECK_MESSAGE(contains(r.err, "a.csv:3: a record longer than max_record_bytes (2048 bytes)"), dump(r));
}

TEST_CASE("files limits: a header of 200,000 columns is read in linear time") {
  Workspace w;
  const int n = 200000;
  std::string header, row;
  for (int i = 0; i < n; ++i) {
    if (i) {
      header += ',';
      row += ',';
    }
    header += "c" + std::to_string(i % 1000);  // duplicates get suffixes
    row += std::to_string(i);
  }
  w.write("wide.csv", header + "\n" + row + "\n");
  w.write("flows.toml", "[sources.in]\nplugin = \"files\"\nconfig = { path = \"wide.csv\" }\n"
                        "[destinations.out]\nplugin = \"null\"\n[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\n");
  Result d = w.ingestd({"discover", "flows.toml", "--source", "in", "--format", "json"});
  REQUIRE_MESSAGE(d.exit_code == 0, dump(d));
  const Value discovered = Value::parse(d.out);
  const auto& columns = discovered.as_array().at(0)["columns"].as_array();
  CHECK(columns.size() == static_cast<std::size_t>(n));
  CHECK(columns[1000]["name"].as_string() == "c0_2");
  CHECK(columns[n - 1]["name"].as_string() == "c999_200");
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
}

TEST_CASE("files limits: thousands of small files are checkpointed per batch, not per file") {
  Workspace w;
  std::filesystem::create_directories(w.path("in"));
  const int files = 3000;
  for (int i = 0; i < files; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "in/f%05d.csv", i);
    w.write(name, "id,v\n" + std::to_string(2 * i) + ",a\n" + std::to_string(2 * i + 1) + ",b\n");
  }
  w.write("flows.toml", to_sqlite("path = \"in\"", "extract = \"incremental-appends\"\n"));
  Result r;
  Value report = w.run_with_report(r, {"--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "in")["rows"].as_int() == 2 * files);
  // A save per file was a commit and the whole file list, 3,000 times.
  // (generations count from the lease's epoch times 2^32)
  CHECK(stream_of(report, "in")["checkpoint_generation"].as_int() % (int64_t{1} << 32) < 100);
  Value saved = Value::parse(scalar(w.path(".ingestd/state.db"), "SELECT checkpoint FROM checkpoints"));
  CHECK(saved["files"].as_object().size() == static_cast<std::size_t>(files));
  // Idle, then one more file: only it is read.
  report = w.run_with_report(r, {"--no-progress"});
  CHECK(stream_of(report, "in")["rows"].as_int() == 0);
  w.write("in/g.csv", "id,v\n999999,new\n");
  report = w.run_with_report(r, {"--no-progress"});
  CHECK(stream_of(report, "in")["rows"].as_int() == 1);
  CHECK(scalar(w.path("out.db"), "SELECT count(DISTINCT id) FROM \"in\"") == std::to_string(2 * files + 1));
}

TEST_CASE("files limits: links out of a folder are not followed unless asked, loops and pipes are said") {
  Workspace w;
  std::filesystem::create_directories(w.path("in"));
  w.write("in/a.csv", "id,who\n1,landing\n");
  w.write("private.csv", "id,who\n2,private\n");
  std::filesystem::create_symlink(w.path("private.csv"), w.path("in/link.csv"));
  std::filesystem::create_symlink(w.path("in/loop.csv"), w.path("in/loop.csv"));
  REQUIRE(::mkfifo(w.path("in/pipe.csv").c_str(), 0600) == 0);

  w.write("flows.toml", to_sqlite("path = \"in\""));
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(scalar(w.path("out.db"), "SELECT group_concat(who) FROM \"in\"") == "landing");
  CHECK_MESSAGE(contains(r.err, "in/link.csv: a symbolic link, not followed (set follow_symlinks = true)"), dump(r));
  CHECK_MESSAGE(contains(r.err, "in/pipe.csv: a named pipe (FIFO), skipped"), dump(r));

  w.write("flows.toml", to_sqlite("path = \"in\", follow_symlinks = true", "load = \"replace\"\n"));
  r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(scalar(w.path("out.db"), "SELECT group_concat(who, ',') FROM (SELECT who FROM \"in\" ORDER BY id)") ==
        "landing,private");
  CHECK_MESSAGE(contains(r.err, "in/loop.csv: a symbolic link loop"), dump(r));
}
