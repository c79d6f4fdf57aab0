#include "file_table.hpp"

#include <ingestd/sdk/values.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ingestd::plugins::files {

using namespace ingestd::sdk;

namespace {

constexpr std::size_t kFlushAt = 1 << 20;

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
  throw io_error(what + " " + path + ": " + std::strerror(errno), false);
}

// Table names come from stream names; keep them to one safe file name.
std::string file_name(const std::string& table) {
  std::string out;
  for (char c : table) out.push_back(c == '/' || c == '\0' ? '_' : c);
  if (out.empty() || out == "." || out == "..") out = "stream";
  return out;
}

class FileTable : public DestinationTable {
 public:
  FileTable(const DestinationOptions& o, const TableRequest& r) : o_(o), host_(r.host) {
    csv_ = o.format == "csv";
    std::error_code ec;
    fs::create_directories(o.dir, ec);
    if (ec) throw config_error("cannot create folder " + o.dir + ": " + ec.message());
    final_path_ = (fs::path(o.dir) / (file_name(r.table) + (csv_ ? ".csv" : ".jsonl"))).string();
    replace_ = r.load_mode == INGESTD_LOAD_REPLACE;
    if (replace_) {
      // Written aside and renamed over the old file only once complete.
      path_ = (fs::path(o.dir) / ("." + file_name(r.table) + "." + r.run_id + ".tmp")).string();
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } else {
      path_ = final_path_;
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);  // read: to check the header
    }
    if (fd_ < 0) fail_io("cannot open", path_);
    committed_size_ = ::lseek(fd_, 0, SEEK_END);
    if (!replace_) drop_unfinished_line();
    set_schema(r.schema);
    if (csv_ && o_.header) start_csv();
  }

  ~FileTable() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void schema_changed(const Schema& schema) override { set_schema(schema); }

  void write(const BatchReader& batch) override {
    if (csv_) write_csv(batch);
    else write_jsonl(batch);
  }

  void commit(uint64_t) override {
    flush();
    if (::fdatasync(fd_) != 0) fail_io("cannot sync", path_);
    committed_size_ = ::lseek(fd_, 0, SEEK_END);
  }

  void close(bool complete) override {
    if (!replace_) {
      if (!complete) {
        // Drop what was written after the last commit.
        out_.clear();
        if (::ftruncate(fd_, committed_size_) != 0) fail_io("cannot truncate", path_);
      } else {
        flush();
        if (::fdatasync(fd_) != 0) fail_io("cannot sync", path_);
      }
      return;
    }
    if (!complete) {
      ::unlink(path_.c_str());
      return;
    }
    flush();
    if (::fdatasync(fd_) != 0) fail_io("cannot sync", path_);
    if (::rename(path_.c_str(), final_path_.c_str()) != 0) fail_io("cannot rename into place", final_path_);
    int dir = ::open(o_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }

 private:
  // A run killed while writing can leave a line without its end; commits
  // always end on a whole line, so those bytes were never committed. Appending
  // after them would glue the next record to them.
  void drop_unfinished_line() {
    off_t end = committed_size_;
    char block[4096];
    while (end > 0) {
      const off_t start = end > static_cast<off_t>(sizeof block) ? end - static_cast<off_t>(sizeof block) : 0;
      const ssize_t n = ::pread(fd_, block, static_cast<std::size_t>(end - start), start);
      if (n != end - start) fail_io("cannot read", path_);
      const void* newline = ::memrchr(block, '\n', static_cast<std::size_t>(n));
      if (newline) {
        end = start + (static_cast<const char*>(newline) - block) + 1;
        break;
      }
      end = start;
    }
    if (end == committed_size_) return;
    if (::ftruncate(fd_, end) != 0) fail_io("cannot truncate", path_);
    host_.warn("dropped the unfinished last line (" + std::to_string(committed_size_ - end) + " bytes) that a stopped " +
               "run left in " + path_);
    committed_size_ = end;
  }

  void set_schema(const Schema& schema) {
    // CSV columns are fixed by the header once written; new columns cannot
    // be added to rows already on disk.
    if (csv_ && !header_.empty()) {
      for (const auto& f : schema.fields) {
        bool known = false;
        for (const auto& h : header_) known = known || h == f.name;
        if (!known)
          throw schema_error("new column '" + f.name + "' cannot be added to CSV file " + final_path_ +
                             " (its header is fixed); write JSON Lines or start a new file");
      }
    }
    schema_ = schema;
    if (csv_ && header_.empty())
      for (const auto& f : schema.fields) header_.push_back(f.name);
    map_.assign(header_.size(), -1);
    for (std::size_t i = 0; i < header_.size(); ++i) map_[i] = schema.index_of(header_[i]);
  }

  // Writes the header, or checks an existing file's header when appending.
  void start_csv() {
    std::string line;
    for (std::size_t i = 0; i < header_.size(); ++i) {
      if (i) line.push_back(o_.delimiter);
      append_csv_field(line, header_[i]);
    }
    line.push_back('\n');
    if (committed_size_ == 0) {
      out_ = line;
      return;
    }
    std::string existing(line.size(), '\0');
    ssize_t n = ::pread(fd_, existing.data(), existing.size(), 0);
    if (n != static_cast<ssize_t>(line.size()) || existing != line)
      throw schema_error("cannot append to " + final_path_ + ": its header differs from the stream's columns (" +
                         line.substr(0, line.size() - 1) + ")");
  }

  void append_csv_field(std::string& out, std::string_view text) const {
    bool quote = text.empty() || text.find_first_of(std::string{o_.delimiter, o_.quote, '\n', '\r'}) != std::string_view::npos;
    if (!quote) {
      out += text;
      return;
    }
    out.push_back(o_.quote);
    for (char c : text) {
      if (c == o_.quote) out.push_back(o_.quote);
      out.push_back(c);
    }
    out.push_back(o_.quote);
  }

  void write_csv(const BatchReader& batch) {
    for (int64_t r = 0; r < batch.rows(); ++r) {
      for (std::size_t i = 0; i < map_.size(); ++i) {
        if (i) out_.push_back(o_.delimiter);
        int c = map_[i];
        if (c < 0) continue;  // a column the stream no longer has: NULL
        const ColumnReader& col = batch.column(static_cast<std::size_t>(c));
        if (col.is_null(r)) continue;  // NULL is an empty unquoted field
        const TypeId t = col.type().id;
        if (t == TypeId::Utf8 || t == TypeId::LargeUtf8) {
          append_csv_field(out_, col.string_value(r));
        } else {
          value_.clear();
          append_text(col, r, value_);
          append_csv_field(out_, value_);
        }
      }
      out_.push_back('\n');
      if (out_.size() >= kFlushAt) flush();
    }
  }

  void write_jsonl(const BatchReader& batch) {
    // Member names are the same for every row: quote them once.
    std::vector<std::string> keys;
    for (const auto& f : schema_.fields) {
      std::string k;
      ingestd::json::write_string(k, f.name);
      keys.push_back(k + ":");
    }
    for (int64_t r = 0; r < batch.rows(); ++r) {
      out_.push_back('{');
      for (std::size_t c = 0; c < batch.column_count(); ++c) {
        if (c) out_.push_back(',');
        out_ += keys[c];
        append_json(batch.column(c), r, out_);
      }
      out_ += "}\n";
      if (out_.size() >= kFlushAt) flush();
    }
  }

  void flush() {
    std::size_t done = 0;
    while (done < out_.size()) {
      ssize_t n = ::write(fd_, out_.data() + done, out_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_io("cannot write", path_);
      done += static_cast<std::size_t>(n);
    }
    out_.clear();
  }

  DestinationOptions o_;
  Host host_;
  bool csv_ = true;
  bool replace_ = false;
  std::string final_path_, path_;
  int fd_ = -1;
  off_t committed_size_ = 0;
  Schema schema_;
  std::vector<std::string> header_;
  std::vector<int> map_;  // header column -> batch column, -1 when absent
  std::string out_;
  std::string value_;
};

}  // namespace

std::unique_ptr<DestinationTable> open_file_table(const DestinationOptions& options, const TableRequest& request) {
  return std::make_unique<FileTable>(options, request);
}

}  // namespace ingestd::plugins::files
