#include "support/rerun_matrix.hpp"

#include "support/files.hpp"
#include "support/process.hpp"

#include <ingestd/sdk/json.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

namespace testing {

namespace {

using ingestd::json::Value;

struct Combination {
  std::string extract, load;
  bool delete_stale = false;
  std::string name() const { return extract + " + " + load + (delete_stale ? " + delete_stale" : ""); }
  bool incremental() const { return extract != "snapshot"; }
};

std::vector<Combination> combinations(const std::vector<std::string>& extract_modes) {
  std::vector<Combination> out;
  for (const auto& e : extract_modes) {
    out.push_back({e, "append"});
    out.push_back({e, "merge"});
    if (e == "snapshot") {
      out.push_back({e, "replace"});
      out.push_back({e, "merge", true});
    }
  }
  return out;
}

Rows sorted(Rows rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

Rows concat(const std::vector<const Rows*>& parts) {
  Rows out;
  for (const Rows* p : parts) out.insert(out.end(), p->begin(), p->end());
  return sorted(out);
}

// `base` with `changes` applied by key, the last change of a key winning.
Rows merged(const Rows& base, const Rows& changes) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& r : base) by_key[r.at(0)] = r;
  for (const auto& r : changes) by_key[r.at(0)] = r;
  Rows out;
  for (auto& [k, r] : by_key) out.push_back(r);
  return sorted(out);
}

std::string flow_file(const RerunSource& s, const RerunDestination& d, const Combination& c) {
  std::string f = s.source_toml() + "\n" + d.toml + "\n[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" +
                  "extract = \"" + c.extract + "\"\nload = \"" + c.load + "\"\n";
  if (c.load == "merge") f += "primary_key = [\"" + s.columns.at(0) + "\"]\n";
  if (c.delete_stale) f += "delete_stale = true\n";
  if (c.incremental() && !s.cursor.empty()) f += "cursor = \"" + s.cursor + "\"\n";
  f += s.extra_flow_keys;
  f += "\n[flows.streams.\"" + s.stream + "\"]\ntable = \"" + d.table + "\"\n";
  return f;
}

struct Workspace {
  TempDir dir;
  const RerunSource& source;
  const RerunDestination& destination;
  Combination combination;

  Result ingestd(const std::vector<std::string>& args) const {
    Options o;
    o.cwd = dir.path();
    return testing::ingestd(args, o);
  }

  // Runs the flow; returns the newest run's record from `ingestd runs`.
  Value run(const char* phase) const {
    write_file(dir / "flows.toml", flow_file(source, destination, combination));
    Result r = ingestd({"run", "flows.toml", "--no-progress"});
    INFO(phase, " run:\n", r.out, r.err);
    REQUIRE(r.exit_code == 0);
    Result runs = ingestd({"runs", "flows.toml", "--format", "json", "--limit", "1"});
    REQUIRE(runs.exit_code == 0);
    return Value::parse(runs.out).as_array().at(0);
  }

  // Every column of the table, metadata included.
  Rows table() const {
    std::string cols;
    for (const auto& c : source.columns) cols += "CAST(\"" + c + "\" AS TEXT), ";
    return sorted(destination.query(dir.path(), "SELECT " + cols +
                                                    "CAST(_ingestd_run_id AS TEXT), CAST(_ingestd_synced_at AS TEXT), "
                                                    "CAST(_ingestd_deleted AS TEXT) FROM \"" +
                                                    destination.table + "\""));
  }

  // The compared columns of rows not marked deleted.
  Rows data() const {
    Rows out;
    for (const auto& r : table()) {
      if (r.back() != "0" && r.back() != "false") continue;
      out.emplace_back(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(source.columns.size()));
    }
    return sorted(out);
  }

  // What the state store and a transactional destination keep.
  std::string state() const {
    Result r = ingestd({"state", "show", "flows.toml", "--format", "json"});
    REQUIRE(r.exit_code == 0);
    return destination.stored_state ? r.out + destination.stored_state(dir.path()) : r.out;
  }
};

int64_t rows_of(const Value& run) {
  int64_t n = 0;
  for (const auto& s : run["streams"].as_array()) n += s["rows"].as_int();
  return n;
}

// Rows of the table last written by `run_id`.
int64_t written_by(const Rows& table, const std::string& run_id, std::size_t columns) {
  int64_t n = 0;
  for (const auto& r : table) n += r.at(columns) == run_id ? 1 : 0;
  return n;
}

void run_combination(const RerunSource& s, const RerunDestination& d, const Combination& c) {
  Workspace w{{}, s, d, c};
  if (d.reset) d.reset();
  s.setup(w.dir.path());
  const Rows before = sorted(s.before);
  const Rows after_merge = merged(before, s.delta);
  const Rows snapshot_after = s.snapshot_after.empty() ? after_merge : sorted(s.snapshot_after);
  const std::size_t ncols = s.columns.size();

  // 1. The first run loads everything.
  Value first = w.run("first");
  CHECK(first["status"].as_string() == "ok");
  CHECK(rows_of(first) == static_cast<int64_t>(before.size()));
  CHECK(w.data() == before);
  const Rows table_1 = w.table();
  const std::string state_1 = w.state();

  // 2. Nothing changed at the source.
  Value idle = w.run("idle");
  CHECK(idle["status"].as_string() == "ok");
  CHECK(rows_of(idle) == (c.incremental() ? 0 : static_cast<int64_t>(before.size())));
  const Rows table_2 = w.table();
  const std::string idle_run = idle["run_id"].as_string();
  if (c.load == "append" && !c.incremental()) {
    // A snapshot appended again: the old rows untouched, a second copy added.
    CHECK(w.data() == concat({&before, &before}));
    CHECK(written_by(table_2, idle_run, ncols) == static_cast<int64_t>(before.size()));
  } else if (c.load == "replace") {
    CHECK(w.data() == before);  // a new table with the same contents
  } else {
    CHECK(table_2 == table_1);  // not a row rewritten
    CHECK(written_by(table_2, idle_run, ncols) == 0);
  }
  if (c.incremental()) CHECK(w.state() == state_1);

  // 3. After a change.
  s.change(w.dir.path());
  Value third = w.run("after a change");
  CHECK(third["status"].as_string() == "ok");
  CHECK(rows_of(third) == static_cast<int64_t>(c.incremental() ? s.delta.size() : snapshot_after.size()));
  const Rows table_3 = w.table();
  const std::string third_run = third["run_id"].as_string();
  if (c.load == "append") {
    Rows expected = c.incremental() ? concat({&before, &s.delta}) : concat({&before, &before, &snapshot_after});
    CHECK(w.data() == expected);
  } else if (c.load == "replace") {
    CHECK(w.data() == snapshot_after);
  } else {
    CHECK(w.data() == after_merge);
    // Only rows that are new or changed carry the new run.
    int64_t changed = 0;
    for (const auto& r : after_merge) changed += std::find(before.begin(), before.end(), r) == before.end() ? 1 : 0;
    CHECK(written_by(table_3, third_run, ncols) == changed);
  }
  if (c.incremental()) CHECK(w.state() != state_1);
}

}  // namespace

RerunDestination sqlite_rerun_destination() {
  RerunDestination d;
  d.label = "sqlite";
  d.toml = "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n";
  d.table = "t";
  d.query = [](const std::string& dir, const std::string& sql) { return query(dir + "/dst.db", sql); };
  d.stored_state = [](const std::string& dir) {
    std::string out;
    if (scalar(dir + "/dst.db", "SELECT count(*) FROM sqlite_schema WHERE name = '_ingestd_state'") == "0") return out;
    for (const auto& row : query(dir + "/dst.db", "SELECT * FROM _ingestd_state ORDER BY key"))
      for (const auto& v : row) out += "|" + v;
    return out;
  };
  return d;
}

void run_rerun_matrix(const RerunSource& source, const RerunDestination& destination) {
  for (const Combination& c : combinations(source.extract_modes)) {
    SUBCASE((source.label + " -> " + destination.label + ": " + c.name()).c_str()) {
      run_combination(source, destination, c);
    }
  }
}

}  // namespace testing
