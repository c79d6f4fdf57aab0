#include "manifest.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace ingestd::plugins::parquet {

namespace fs = std::filesystem;
namespace json = ingestd::json;

namespace {

[[noreturn]] void io_failure(const std::string& what, const fs::path& p) {
  throw sdk::io_error(what + " " + p.string() + ": " + std::strerror(errno));
}

std::string to_hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  auto nibble = [](char h) { return h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

json::Value files_json(const std::vector<DataFile>& files) {
  json::Array out;
  for (const DataFile& f : files) {
    json::Object o;
    o.set("path", f.path);
    o.set("rows", f.rows);
    o.set("run_id", f.run_id);
    out.push_back(json::Value(std::move(o)));
  }
  return json::Value(std::move(out));
}

std::vector<DataFile> files_from(const json::Value& v) {
  std::vector<DataFile> out;
  if (!v.is_array()) return out;
  for (const json::Value& f : v.as_array())
    out.push_back({f["path"].as_string(), f["rows"].as_int(), f["run_id"].is_string() ? f["run_id"].as_string() : ""});
  return out;
}

}  // namespace

int64_t Manifest::rows() const {
  int64_t n = 0;
  for (const DataFile& f : files) n += f.rows;
  return n;
}

bool has_manifest(const fs::path& table_dir) {
  std::error_code ec;
  return fs::exists(table_dir / kManifestName, ec);
}

std::vector<fs::path> lake_tables(const fs::path& lake) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(lake, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory() && has_manifest(it->path())) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

Manifest load_manifest(const fs::path& table_dir) {
  Manifest m;
  const fs::path p = table_dir / kManifestName;
  std::ifstream in(p, std::ios::binary);
  if (!in) return m;
  std::stringstream text;
  text << in.rdbuf();
  json::Value v;
  try {
    v = json::Value::parse(text.str());
    m.files = files_from(v["files"]);
    m.replacing_files = files_from(v["replacing"]["files"]);
    if (v["replacing"]["run_id"].is_string()) m.replacing_run = v["replacing"]["run_id"].as_string();
    if (v["checkpoints"].is_object())
      for (const auto& [key, cp] : v["checkpoints"].as_object())
        m.checkpoints[key] = {from_hex(cp["hex"].as_string()), cp["generation"].as_int()};
  } catch (const std::exception& e) {
    throw sdk::data_error(p.string() + " is not a manifest ingestd can read: " + e.what());
  }
  return m;
}

ManifestLock::ManifestLock(const fs::path& table_dir) {
  const fs::path p = table_dir / "_ingestd_manifest.lock";
  fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) io_failure("cannot open", p);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    ::close(fd_);
    io_failure("cannot lock", p);
  }
}

ManifestLock::~ManifestLock() { ::close(fd_); }  // closing releases the lock

void sync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_failure("cannot open", p);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_failure("cannot sync", p);
}

void save_manifest(const fs::path& table_dir, const Manifest& m) {
  json::Object o;
  o.set("format", "ingestd-lake-manifest/1");
  o.set("rows", m.rows());
  o.set("files", files_json(m.files));
  if (!m.replacing_run.empty()) {
    json::Object r;
    r.set("run_id", m.replacing_run);
    r.set("files", files_json(m.replacing_files));
    o.set("replacing", json::Value(std::move(r)));
  }
  json::Object cps;
  for (const auto& [key, cp] : m.checkpoints) {
    json::Object c;
    c.set("hex", to_hex(cp.data));
    c.set("generation", cp.generation);
    cps.set(key, json::Value(std::move(c)));
  }
  o.set("checkpoints", json::Value(std::move(cps)));
  const std::string text = json::Value(std::move(o)).dump() + "\n";
  const fs::path tmp = table_dir / (std::string(kManifestName) + ".tmp");
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) io_failure("cannot write", tmp);
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::close(fd);
        io_failure("cannot write", tmp);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      io_failure("cannot sync", tmp);
    }
    ::close(fd);
  }
  if (::rename(tmp.c_str(), (table_dir / kManifestName).c_str()) != 0) io_failure("cannot rename into place", tmp);
  sync_path(table_dir);
}

}  // namespace ingestd::plugins::parquet
