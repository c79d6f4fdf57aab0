#include "line_reader.hpp"

#include "open_file.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ingestd::plugins::files {

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

LineReader::LineReader(const std::string& path, std::size_t max_line) : path_(path), max_line_(max_line) {
  fd_ = open_for_reading(path);
  buffer_.resize(std::min(kChunk, max_line_ + 1) + padding());
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ + padding() >= buffer_.size()) {  // a line longer than the buffer
    if (end_ > max_line_)
      throw ingestd::sdk::data_error(path_ + ":" + std::to_string(line_number_ + 1) +
                                     ": a line longer than max_record_bytes (" + std::to_string(max_line_) +
                                     " bytes); raise max_record_bytes if records are this large");
    buffer_.resize(std::min(buffer_.size() * 2 - padding(), max_line_ + 1) + padding());
  }
  ssize_t n;
  do {
    n = ::read(fd_, buffer_.data() + end_, buffer_.size() - padding() - end_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ingestd::sdk::io_error(path_ + ": " + std::strerror(errno), false);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<std::size_t>(n);
  return true;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const void* nl = pos_ < end_ ? std::memchr(buffer_.data() + pos_, '\n', end_ - pos_) : nullptr;
    if (nl || (eof_ && pos_ < end_)) {
      std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data()) : end_;
      std::size_t start = pos_;
      pos_ = nl ? stop + 1 : end_;
      if (stop > start && buffer_[stop - 1] == '\r') --stop;
      if (first_) {
        first_ = false;
        if (stop - start >= 3 && std::memcmp(buffer_.data() + start, "\xEF\xBB\xBF", 3) == 0) start += 3;
      }
      ++line_number_;
      line = std::string_view(buffer_.data() + start, stop - start);
      return true;
    }
    if (!fill()) {
      if (pos_ < end_) continue;  // a last line without a line end
      return false;
    }
  }
}

}  // namespace ingestd::plugins::files
