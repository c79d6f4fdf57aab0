#include "file_set.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <glob.h>

namespace fs = std::filesystem;

namespace ingestd::plugins::files {

FileSet make_file_set(const std::string& resolved_path) {
  FileSet s;
  s.pattern = resolved_path;
  std::error_code ec;
  s.is_pattern = resolved_path.find_first_of("*?[") != std::string::npos || fs::is_directory(resolved_path, ec);
  return s;
}

namespace {

// What a non-regular entry is, for the message that says it was passed over.
std::string kind_of(fs::file_type t) {
  switch (t) {
    case fs::file_type::fifo: return "a named pipe (FIFO)";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::block: return "a block device";
    case fs::file_type::character: return "a character device";
    default: return "not a regular file";
  }
}

}  // namespace

std::vector<std::string> FileSet::list(std::vector<std::string>* skipped) const {
  std::vector<std::string> out;
  auto skip = [&](const std::string& path, const std::string& why) {
    if (skipped) skipped->push_back(path + ": " + why);
  };
  // One entry of a folder or glob: regular files are read; links only when
  // followed, and then only to a regular file; the rest is said and skipped.
  auto consider = [&](const fs::path& p) {
    std::error_code ec;
    fs::file_status own = fs::symlink_status(p, ec);
    if (ec) return;
    if (fs::is_symlink(own)) {
      if (!follow_symlinks) return skip(p.string(), "a symbolic link, not followed (set follow_symlinks = true)");
      fs::file_status target = fs::status(p, ec);
      if (ec.value() == ELOOP) return skip(p.string(), "a symbolic link loop");
      if (ec) return skip(p.string(), "a symbolic link to nothing (" + ec.message() + ")");
      if (fs::is_directory(target)) return;
      if (!fs::is_regular_file(target)) return skip(p.string(), "a symbolic link to " + kind_of(target.type()));
      out.push_back(p.string());
      return;
    }
    if (fs::is_directory(own)) return;  // folders are not descended into
    if (!fs::is_regular_file(own)) return skip(p.string(), kind_of(own.type()) + ", skipped");
    out.push_back(p.string());
  };
  std::error_code ec;
  if (fs::is_directory(pattern, ec)) {
    for (const auto& e : fs::directory_iterator(pattern, ec)) {
      std::string name = e.path().filename().string();
      if (!name.empty() && name[0] != '.') consider(e.path());
    }
  } else if (is_pattern) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) consider(g.gl_pathv[i]);
    globfree(&g);
  } else {
    (void)fs::status(pattern, ec);
    if (ec.value() == ELOOP) throw ingestd::sdk::config_error(pattern + ": a symbolic link loop");
    if (!fs::exists(pattern, ec)) throw ingestd::sdk::config_error(pattern + ": no such file");
    if (!fs::is_regular_file(pattern, ec)) throw ingestd::sdk::config_error(pattern + ": not a regular file");
    out.push_back(pattern);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string FileSet::default_stream_name() const {
  fs::path p(pattern);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    std::string name = p.lexically_normal().filename().string();
    if (name.empty()) name = p.lexically_normal().parent_path().filename().string();
    return name.empty() ? "files" : name;
  }
  std::string stem = p.stem().string();
  if (is_pattern) {
    stem.erase(std::remove_if(stem.begin(), stem.end(), [](char c) { return c == '*' || c == '?'; }), stem.end());
    if (auto b = stem.find('['); b != std::string::npos) stem.erase(b);
    while (!stem.empty() && (stem.back() == '_' || stem.back() == '-' || stem.back() == '.')) stem.pop_back();
    if (stem.empty()) stem = p.parent_path().filename().string();
  }
  return stem.empty() ? "files" : stem;
}

Format resolve_format(const std::string& option, const std::string& sample_path) {
  if (option == "csv") return Format::Csv;
  if (option == "jsonl") return Format::Jsonl;
  std::string ext = fs::path(sample_path).extension().string();
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return Format::Jsonl;
  return Format::Csv;
}

}  // namespace ingestd::plugins::files
