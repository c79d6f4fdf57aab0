// A destination's disk, or the state store's, filling up mid-run (a small
// tmpfs the test mounts): a clear error naming the path, the database not
// corrupted, the state not past the data, and once space is freed the next
// run completes exactly. Needs root to mount; skipped (with a message) without.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

using namespace e2e;
using ingestd::json::Value;
using testing::scalar;

namespace {

// A tmpfs of `size` at `dir`, unmounted at the end.
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = geteuid() == 0 && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  void grow(const std::string& size) {
    REQUIRE(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0);
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

const int kRows = 300000;

std::string flow(const std::string& db, const std::string& state = "") {
  return "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = " + std::to_string(kRows) + ", columns = 6 }\n"
         "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"" + db + "\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = \"db\"\nextract = \"incremental-appends\"\ncursor = \"id\"\n"
         "batch_rows = 10000\nretries = 0\n" +
         (state.empty() ? "" : "[state]\npath = \"" + state + "\"\n");
}

}  // namespace

TEST_CASE("disk full: a SQLite destination out of space fails naming it, stays intact, and the rerun completes") {
  Workspace w;
  SmallDisk disk(w.path("small"), "3m");
  if (!disk.mounted()) {
    MESSAGE("skipped: mounting a tmpfs needs root");
    return;
  }
  w.write("flows.toml", flow("small/w.db"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.out + r.err, w.path("small/w.db")), dump(r));
  CHECK_MESSAGE(contains(r.out + r.err, "disk is full"), dump(r));
  CHECK(scalar(w.path("small/w.db"), "PRAGMA integrity_check") == "ok");
  // What the destination holds is what its state says: exactly-once.
  const int64_t held = std::stoll(scalar(w.path("small/w.db"), "SELECT count(*) FROM generated"));
  const Value cp = Value::parse(scalar(w.path("small/w.db"), "SELECT checkpoint FROM _ingestd_state"));
  CHECK(cp["id"].as_int() == held);
  CHECK(held < kRows);

  disk.grow("64m");
  Result again = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(scalar(w.path("small/w.db"), "SELECT count(*) || '/' || count(DISTINCT id) || '/' || max(id) FROM generated") ==
        std::to_string(kRows) + "/" + std::to_string(kRows) + "/" + std::to_string(kRows));
}

TEST_CASE("disk full: a state store out of space fails the run naming it, and nothing is lost or doubled") {
  Workspace w;
  SmallDisk disk(w.path("small"), "256k");
  if (!disk.mounted()) {
    MESSAGE("skipped: mounting a tmpfs needs root");
    return;
  }
  w.write("flows.toml", flow("w.db", "small/state.db"));
  // The store opens, then the disk fills (another program's files) before it saves.
  testing::write_file(w.path("small/filler"), std::string(200 * 1024, 'x'));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, w.path("small/state.db")), dump(r));
  CHECK_MESSAGE(contains(r.out + r.err, "full"), dump(r));
  if (testing::file_exists(w.path("small/state.db")))
    CHECK(scalar(w.path("small/state.db"), "PRAGMA integrity_check") == "ok");

  std::filesystem::remove(w.path("small/filler"));
  disk.grow("64m");
  Result again = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(scalar(w.path("w.db"), "SELECT count(*) || '/' || count(DISTINCT id) FROM generated") ==
        std::to_string(kRows) + "/" + std::to_string(kRows));
}
