#include "stream_writer.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/values.hpp>

#include <vector>

namespace ingestd::plugins::redis {

using namespace ingestd::sdk;

namespace {

// Replies read back while writing, so that neither side's buffers grow without bound.
constexpr int64_t kMaxUnread = 1000;

class StreamWriter : public DestinationTable {
 public:
  StreamWriter(const DestinationSettings& s, const TableRequest& r)
      : settings_(s), host_(r.host), key_(name_for(s.stream, r)), db_(s.address, s.timeout), schema_(r.schema) {
    if (key_.empty()) throw config_error("stream names no key for stream " + r.stream);
    const std::string type = text_of(db_.command({"TYPE", key_}).get());
    if (type != "none" && type != "stream") throw config_error("redis key '" + key_ + "' is a " + type + ", not a stream");
  }

  void schema_changed(const Schema& schema) override { schema_ = schema; }

  void write(const BatchReader& batch) override {
    std::vector<std::string> values(batch.column_count());
    std::vector<std::string_view> argv;
    const std::string maxlen = std::to_string(settings_.maxlen);
    for (int64_t row = 0; row < batch.rows(); ++row) {
      argv = {"XADD", key_};
      if (settings_.maxlen > 0) argv.insert(argv.end(), {"MAXLEN", "~", maxlen});
      argv.push_back("*");
      for (std::size_t c = 0; c < batch.column_count(); ++c) {
        if (batch.column(c).is_null(row)) continue;
        values[c].clear();
        append_text(batch.column(c), row, values[c]);
        argv.push_back(schema_[c].name);
        argv.push_back(values[c]);
      }
      db_.append(argv);
      if (++unread_ >= kMaxUnread) read_replies(unread_ / 2);
    }
  }

  void commit(uint64_t) override {
    read_replies(unread_);
    if (failed_ > 0) {
      const std::string what = std::to_string(failed_) + " entr" + (failed_ == 1 ? "y" : "ies") + " refused by " +
                               key_ + " (first: " + first_failure_ + ")";
      failed_ = 0;
      throw data_error("redis: " + what);
    }
    host_.count("entries_added", added_);
    added_ = 0;
  }

  void close(bool complete) override {
    if (complete) commit(0);
  }

 private:
  void read_replies(int64_t n) {
    for (; n > 0; --n, --unread_) {
      Reply r = db_.reply();
      if (r->type == REDIS_REPLY_ERROR) {
        if (failed_++ == 0) first_failure_ = text_of(r.get());
      } else {
        ++added_;
      }
    }
  }

  const DestinationSettings settings_;
  Host host_;
  const std::string key_;
  Connection db_;
  Schema schema_;
  int64_t unread_ = 0, added_ = 0, failed_ = 0;
  std::string first_failure_;
};

}  // namespace

std::unique_ptr<DestinationTable> open_stream_writer(const DestinationSettings& settings, const TableRequest& request) {
  return std::make_unique<StreamWriter>(settings, request);
}

}  // namespace ingestd::plugins::redis
