#include "file_progress.hpp"

#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <sys/stat.h>

namespace ingestd::plugins::files {

namespace json = ingestd::json;

std::string FileProgress::key(const std::string& path) const {
  if (!root_.empty() && path.size() > root_.size() && path.compare(0, root_.size(), root_) == 0 &&
      path[root_.size()] == '/')
    return path.substr(root_.size() + 1);
  return path;
}

FileProgress::FileProgress(const std::optional<std::string>& state, const std::vector<std::string>& listed,
                           const std::string& root)
    : root_(root) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  for (const auto& path : listed) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // gone since it was listed
    paths_[key(path)] = path;
    listed_[key(path)] = Signature{static_cast<int64_t>(st.st_size),
                              static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  std::map<std::string, Signature> stored;
  if (state) {
    json::Value v;
    try {
      v = json::Value::parse(*state);
    } catch (const std::exception& e) {
      throw ingestd::sdk::Error(INGESTD_ERROR_INVALID_ARGUMENT, std::string("stored state is not JSON: ") + e.what());
    }
    if (v["files"].is_object())
      for (const auto& [path, sig] : v["files"].as_object())
        stored[path] = Signature{sig["size"].is_int() ? sig["size"].as_int() : -1,
                                 sig["mtime_ns"].is_int() ? sig["mtime_ns"].as_int() : -1};
  }
  for (const auto& [k, sig] : listed_) {
    auto it = stored.find(k);
    if (it != stored.end() && it->second == sig) done_[k] = sig;
    else pending_.push_back(paths_[k]);
  }
}

void FileProgress::complete(const std::string& path) {
  auto it = listed_.find(key(path));
  if (it != listed_.end()) done_[it->first] = it->second;
}

std::string FileProgress::checkpoint() const {
  json::Object files;
  for (const auto& [p, sig] : done_) {
    json::Object o;
    o.set("size", sig.size);
    o.set("mtime_ns", sig.mtime_ns);
    files.set(p, json::Value(std::move(o)));
  }
  json::Object root;
  root.set("files", json::Value(std::move(files)));
  return json::Value(std::move(root)).dump();
}

}  // namespace ingestd::plugins::files
