#include "csv_reader.hpp"

#include "open_file.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ingestd::plugins::files {

using ingestd::sdk::config_error;
using ingestd::sdk::data_error;
using ingestd::sdk::io_error;

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

CsvReader::CsvReader(const std::string& path, char delimiter, char quote, std::size_t max_record,
                     const CsvScanner& scanner)
    : path_(path), delimiter_(delimiter), quote_(quote), max_record_(max_record), scanner_(scanner) {
  fd_ = open_for_reading(path);
  buffer_ = std::make_shared<std::vector<char>>(std::min(kChunk, max_record_ + 1) + kPadding);
}

CsvReader::~CsvReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool CsvReader::fill() {
  if (eof_) return false;
  // Keep the unread tail (a record cut by the previous read) at the front,
  // of a new buffer when records read so far must stay where they are.
  if (keep_buffers_ && pos_ > 0) {
    std::shared_ptr<std::vector<char>> fresh = spare_buffer(buffer_->size());
    std::memcpy(fresh->data(), buffer_->data() + pos_, end_ - pos_);
    spares_.push_back(std::move(buffer_));
    buffer_ = std::move(fresh);
  } else if (pos_ > 0) {
    std::memmove(buffer_->data(), buffer_->data() + pos_, end_ - pos_);
  }
  end_ -= pos_;
  consumed_ += static_cast<int64_t>(pos_);
  pos_ = 0;
  block_valid_ = false;
  if (end_ == capacity()) {  // a record longer than the buffer
    if (end_ > max_record_)
      throw data_error(path_ + ":" + std::to_string(record_line_ ? record_line_ : line_) +
                       ": a record longer than max_record_bytes (" + std::to_string(max_record_) +
                       " bytes): not CSV, or a quote never closed; raise max_record_bytes if records are this large");
    buffer_->resize(std::min(capacity() * 2, max_record_ + 1) + kPadding);
  }
  ssize_t n;
  do {
    n = ::read(fd_, buffer_->data() + end_, capacity() - end_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw io_error(path_ + ": " + std::strerror(errno), false);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<std::size_t>(n);
  return true;
}

std::shared_ptr<std::vector<char>> CsvReader::spare_buffer(std::size_t size) {
  for (auto it = spares_.begin(); it != spares_.end(); ++it) {
    // Held by no one else: every record read from it was let go. The fence
    // orders this reuse after those records' last reads (the release of the
    // last other holder).
    if (it->use_count() != 1 || (*it)->size() != size) continue;
    std::atomic_thread_fence(std::memory_order_acquire);
    std::shared_ptr<std::vector<char>> reused = std::move(*it);
    spares_.erase(it);
    return reused;
  }
  // Buffers still held elsewhere wait in the list; it stays short since
  // whoever holds them lets go in order.
  if (spares_.size() > kMaxSpares) spares_.erase(spares_.begin());
  return std::make_shared<std::vector<char>>(size);
}

bool CsvReader::next(std::vector<CsvField>& fields) {
  if (first_) {
    first_ = false;
    while (end_ - pos_ < 3 && fill()) {
    }
    if (end_ - pos_ >= 3 && std::memcmp(buffer_->data() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
  }
  for (;;) {
    if (pos_ >= end_ && !fill()) return false;
    // Once eof_ is set, the end of the file ends an unquoted record, so only
    // an unterminated quote can still need more.
    bool at_eof = eof_;
    if (scan(fields) == Scan::Record) {
      if (fields.size() == 1 && fields[0].text.empty() && !fields[0].quoted) continue;  // blank line
      for (std::size_t i = 0; i < fields.size(); ++i)
        if (escaped_[i]) unescape(fields[i]);
      return true;
    }
    if (!fill() && at_eof)
      throw data_error(path_ + ":" + std::to_string(record_line_) +
                       ": unterminated quoted field (a quote opened here is never closed)");
  }
}

// Scans one record from pos_. Leaves pos_ unchanged when the record is not
// complete in the buffer, so it can be scanned again after a refill.
CsvReader::Scan CsvReader::scan(std::vector<CsvField>& fields) {
  fields.clear();
  escaped_.clear();
  const char* buf = buffer_->data();
  std::size_t p = pos_;
  int64_t line = line_;
  record_line_ = line_;
  for (;;) {
    CsvField field;
    bool escaped = false;
    if (p < end_ && buf[p] == quote_) {
      // Quoted field: runs to the closing quote; "" inside is a literal quote.
      field.quoted = true;
      std::size_t start = ++p;
      for (;;) {
        const void* q = p < end_ ? std::memchr(buf + p, quote_, end_ - p) : nullptr;
        if (!q) return Scan::NeedMore;
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(q) - buf);
        for (std::size_t i = p; i < at; ++i) line += buf[i] == '\n';
        if (at + 1 >= end_ && !eof_) return Scan::NeedMore;
        if (at + 1 < end_ && buf[at + 1] == quote_) {
          escaped = true;
          p = at + 2;
          continue;
        }
        field.text = std::string_view(buf + start, at - start);
        p = at + 1;
        break;
      }
      if (p < end_ && buf[p] != delimiter_ && buf[p] != '\n' && buf[p] != '\r')
        throw data_error(path_ + ":" + std::to_string(line) + ": unexpected character '" + std::string(1, buf[p]) +
                         "' after a closing quote (quotes inside a field must be doubled)");
    } else {
      std::size_t start = p;
      p = field_end(p);
      std::size_t stop = p;
      if (p < end_ && buf[p] == '\n' && stop > start && buf[stop - 1] == '\r') --stop;
      field.text = std::string_view(buf + start, stop - start);
    }
    fields.push_back(field);
    escaped_.push_back(escaped);
    if (p >= end_) {
      if (!eof_) return Scan::NeedMore;
      break;  // the file ends without a final newline
    }
    char c = buf[p];
    if (c == delimiter_) {
      ++p;
      continue;
    }
    // A line end: LF, CRLF, or a lone CR after a quoted field.
    if (c == '\r') {
      if (p + 1 >= end_ && !eof_) return Scan::NeedMore;
      ++p;
    }
    if (p < end_ && buf[p] == '\n') ++p;
    ++line;
    break;
  }
  record_ascii_ = ascii_span(pos_, p);
  pos_ = p;
  line_ = line;
  return Scan::Record;
}

std::size_t CsvReader::field_end(std::size_t p) {
  for (;;) {
    if (!block_valid_ || p < block_ || p >= block_ + 64) {
      block_ = p;
      block_bits_ = scanner_.separators(buffer_->data() + p, delimiter_);
      if (end_ - p < 64) block_bits_ &= (uint64_t{1} << (end_ - p)) - 1;
      block_valid_ = true;
    }
    const uint64_t ahead = block_bits_ & (~uint64_t{0} << (p - block_));
    if (ahead) return block_ + static_cast<std::size_t>(__builtin_ctzll(ahead));
    if (block_ + 64 >= end_) return end_;
    p = block_ + 64;
  }
}

bool CsvReader::ascii_span(std::size_t begin, std::size_t end) {
  const int64_t first = consumed_ + static_cast<int64_t>(begin);
  const int64_t last = consumed_ + static_cast<int64_t>(end);
  if (non_ascii_ >= 0 && non_ascii_ < first) {  // passed: search again from here
    non_ascii_ = -1;
    ascii_checked_ = first;
  }
  if (non_ascii_ < 0 && ascii_checked_ < last) {
    // Search the whole buffer at once: later records need not search again.
    const char* from = buffer_->data() + (std::max(ascii_checked_, first) - consumed_);
    const char* to = buffer_->data() + end_;
    const char* hit = scanner_.non_ascii(from, to);
    if (hit < to) non_ascii_ = consumed_ + (hit - buffer_->data());
    ascii_checked_ = consumed_ + static_cast<int64_t>(end_);
  }
  return non_ascii_ < 0 || last <= non_ascii_;
}

// Collapses doubled quotes in place (the text only gets shorter).
void CsvReader::unescape(CsvField& field) {
  char* out = const_cast<char*>(field.text.data());
  const char* in = field.text.data();
  const char* stop = in + field.text.size();
  char* w = out;
  while (in < stop) {
    *w++ = *in;
    in += (*in == quote_ && in + 1 < stop && in[1] == quote_) ? 2 : 1;
  }
  field.text = std::string_view(out, static_cast<std::size_t>(w - out));
}

}  // namespace ingestd::plugins::files
