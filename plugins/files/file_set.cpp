#include "file_set.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <filesystem>
#include <glob.h>

namespace fs = std::filesystem;

namespace files {

FileSet make_file_set(const std::string& resolved_path) {
  FileSet s;
  s.pattern = resolved_path;
  std::error_code ec;
  s.is_pattern = resolved_path.find_first_of("*?[") != std::string::npos || fs::is_directory(resolved_path, ec);
  return s;
}

std::vector<std::string> FileSet::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(pattern, ec)) {
    for (const auto& e : fs::directory_iterator(pattern, ec)) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && !name.empty() && name[0] != '.') out.push_back(e.path().string());
    }
  } else if (is_pattern) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i)
        if (fs::is_regular_file(g.gl_pathv[i], ec)) out.emplace_back(g.gl_pathv[i]);
    globfree(&g);
  } else {
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

}  // namespace files
