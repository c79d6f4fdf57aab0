// Shared helpers for end-to-end tests: a temporary folder with a flow file,
// and the real ingestd binary run on it.
#pragma once

#include "support/files.hpp"
#include "support/process.hpp"

#include <ingestd/sdk/json.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

// Rows in a failed check, shown as "a|b / c|d" rather than {?}.
template <>
struct doctest::StringMaker<std::vector<std::vector<std::string>>> {
  static doctest::String convert(const std::vector<std::vector<std::string>>& rows) {
    std::string out;
    for (const auto& row : rows) {
      out += out.empty() ? "" : " / ";
      for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "|" : "") + row[i];
    }
    return doctest::String(out.c_str());
  }
};

namespace e2e {

using testing::contains;
using testing::read_file;
using testing::read_lines;
using testing::Result;
using testing::write_file;

struct Workspace {
  testing::TempDir dir;

  std::string path(const std::string& name) const { return dir / name; }
  void write(const std::string& name, const std::string& content) const { write_file(path(name), content); }
  std::string read(const std::string& name) const { return read_file(path(name)); }
  std::vector<std::string> lines(const std::string& name) const { return read_lines(path(name)); }

  // Runs ingestd in the workspace folder.
  Result ingestd(const std::vector<std::string>& args, testing::Options options = {}) const {
    options.cwd = dir.path();
    return testing::ingestd(args, options);
  }

  // Runs flows.toml with a JSON report and returns the report.
  ingestd::json::Value run_with_report(Result& r, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args{"run", "flows.toml", "--report", "report.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    r = ingestd(args);
    return ingestd::json::Value::parse(read("report.json"));
  }
};

// The stream of a report by name.
inline const ingestd::json::Value& stream_of(const ingestd::json::Value& report, const std::string& name) {
  for (const auto& s : report["streams"].as_array())
    if (s["stream"].as_string() == name) return s;
  FAIL("no stream " << name << " in the report");
  static ingestd::json::Value none;
  return none;
}

// Lets a failed check show what ingestd printed.
inline std::string dump(const Result& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) + "\n--- stdout\n" + r.out +
         "--- stderr\n" + r.err;
}

// A flow from one files source to one files destination writing JSON Lines.
inline std::string files_to_jsonl(const std::string& source_config) {
  return "[sources.in]\nplugin = \"files\"\nconfig = { " + source_config +
         " }\n\n[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n\n"
         "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\n";
}

}  // namespace e2e
