#include "dead_letter.hpp"

#include <ingestd/kit/typing/value_typing.hpp>

#include <ingestd/sdk/values.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ingestd::plugins::files {

using kit::typing::valid_utf8;

DeadLetter::~DeadLetter() {
  if (out_) std::fclose(out_);
}

void DeadLetter::reject(const std::string& file, int64_t line, const std::string& error, std::string_view record) {
  if (!out_) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    out_ = std::fopen(path_.c_str(), "ae");
    if (!out_)
      throw ingestd::sdk::io_error("cannot open dead-letter file " + path_ + ": " + std::strerror(errno), false);
  }
  std::string text = "{\"file\":";
  ingestd::json::write_string(text, file);
  text += ",\"line\":" + std::to_string(line) + ",\"error\":";
  ingestd::json::write_string(text, error);
  if (valid_utf8(record)) {
    text += ",\"record\":";
    ingestd::json::write_string(text, record);
  } else {
    // Invalid UTF-8 cannot go into JSON text as is; keep the exact bytes.
    std::string encoded;
    ingestd::sdk::base64_encode(record, encoded);
    text += ",\"record_base64\":";
    ingestd::json::write_string(text, encoded);
  }
  text += "}\n";
  if (std::fwrite(text.data(), 1, text.size(), out_) != text.size())
    throw ingestd::sdk::io_error("cannot write dead-letter file " + path_, false);
  ++count_;
  host_.count("rows_rejected", 1);
  if (count_ <= 5)
    host_.warn(file + ":" + std::to_string(line) + ": " + error + " (skipped, written to " + path_ + ")");
}

void DeadLetter::flush() {
  if (out_) std::fflush(out_);
}

}  // namespace ingestd::plugins::files
