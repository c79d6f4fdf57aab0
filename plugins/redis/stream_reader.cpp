#include "stream_reader.hpp"

#include <ingestd/kit/typing/value_typing.hpp>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/polled_stream.hpp>

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <unistd.h>

namespace ingestd::plugins::redis {

using namespace ingestd::sdk;
namespace typing = ingestd::kit::typing;

namespace {

constexpr const char* kIdColumn = "_redis_id";
constexpr int kReadCount = 1000;  // entries per read

struct Entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Entry ids compare by their two numbers ("1700000000000-3").
std::pair<uint64_t, uint64_t> id_value(const std::string& id) {
  const auto dash = id.find('-');
  try {
    return {std::stoull(id.substr(0, dash)), dash == std::string::npos ? 0 : std::stoull(id.substr(dash + 1))};
  } catch (const std::exception&) {
    return {0, 0};
  }
}

// [[id, [field, value, ...]], ...] into entries; a deleted entry (nil fields) is skipped.
void read_entries(const redisReply* list, std::vector<Entry>& out) {
  if (!list || list->type != REDIS_REPLY_ARRAY) return;
  for (size_t i = 0; i < list->elements; ++i) {
    const redisReply* e = list->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) continue;
    const redisReply* fields = e->element[1];
    if (fields->type != REDIS_REPLY_ARRAY) continue;
    Entry entry;
    entry.id = text_of(e->element[0]);
    for (size_t f = 0; f + 1 < fields->elements; f += 2)
      entry.fields.emplace_back(text_of(fields->element[f]), text_of(fields->element[f + 1]));
    out.push_back(std::move(entry));
  }
}

// The entries of the one stream an XREADGROUP reply holds: [[key, entries]].
const redisReply* entries_of_read(const redisReply* r) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return nullptr;
  const redisReply* stream = r->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return nullptr;
  return stream->element[1];
}

class StreamReader : public PolledStream {
 public:
  StreamReader(const SourceSettings& s, const StreamRequest& r, const Instance& owner)
      : PolledStream(r.host, owner, r.batch_rows, s.max_batch_age), settings_(s), key_(r.stream),
        follow_(r.settings.follow), columns_(s.columns),
        group_(s.group.empty() ? "ingestd_" + (r.settings.flow.empty() ? std::string("flow") : r.settings.flow) : s.group),
        consumer_(s.consumer.empty() ? default_consumer() : s.consumer), reader_(s.address, s.timeout),
        acker_(s.address, s.timeout) {
    columns_.add(kIdColumn);
    columns_[0].declared = true;
    columns_[0].declared_type = TypeId::Utf8;
    columns_.add_declared();
    columns_.report_widenings_to(host_, r.stream);
    if (r.state) typing::relearn_columns(columns_, json::Value::parse(*r.state)["columns"]);
    schema_ = columns_.schema();
    Reply type = reader_.command({"TYPE", key_});
    if (text_of(type.get()) != "stream")
      throw config_error("redis key '" + key_ + "' is " +
                         (text_of(type.get()) == "none" ? std::string("missing") : "a " + text_of(type.get())) +
                         ", not a stream");
    Reply made = reader_.command_allowing_errors({"XGROUP", "CREATE", key_, group_, s.start_earliest ? "0" : "$"});
    if (made->type == REDIS_REPLY_ERROR && text_of(made.get()).rfind("BUSYGROUP", 0) != 0)
      throw data_error("redis XGROUP CREATE " + key_ + ": " + text_of(made.get()));
    if (!follow_) {
      // ingestd run: the newest entry of this moment is where reading ends.
      Reply last = reader_.command({"XREVRANGE", key_, "+", "-", "COUNT", "1"});
      std::vector<Entry> newest;
      read_entries(last.get(), newest);
      if (!newest.empty()) target_ = id_value(newest.front().id);
    }
    host_.debug("reading redis stream " + key_ + " in group " + group_ + " as " + consumer_);
  }

  ~StreamReader() override = default;

  Schema schema() override { return schema_; }

  void checkpoint_saved(std::string_view checkpoint) override {
    int64_t batch = 0;
    try {
      batch = json::Value::parse(checkpoint)["batch"].as_int();
    } catch (const std::exception&) {
      return;
    }
    std::vector<std::string> argv;
    {
      std::lock_guard lock(mutex_);
      while (!unacked_.empty() && unacked_.front().first <= batch) {
        for (auto& id : unacked_.front().second) {
          if (argv.empty()) argv = {"XACK", key_, group_};
          argv.push_back(std::move(id));
        }
        unacked_.pop_front();
      }
      if (argv.empty()) return;
      try {
        acker_.command(argv);
      } catch (const std::exception& e) {
        // Left pending: claimed and delivered again later (at least once).
        host_.warn(std::string("redis: acknowledging entries failed: ") + e.what());
      }
    }
  }

 private:
  std::size_t held() const override { return pending_.size(); }

  // Reads the next entries: this consumer's own pending ones first, then
  // idle ones of other consumers, then new ones. Under `ingestd run`, false
  // once nothing new is left or the newest entry of the start was read.
  bool poll(std::chrono::milliseconds wait) override {
    std::vector<Entry> got;
    const Phase was = phase_;
    if (phase_ == Phase::Own) {
      Reply r = reader_.command({"XREADGROUP", "GROUP", group_, consumer_, "COUNT", std::to_string(kReadCount),
                                 "STREAMS", key_, own_after_});
      read_entries(entries_of_read(r.get()), got);
      if (got.empty()) phase_ = Phase::Claim;
      else own_after_ = got.back().id;
    } else if (phase_ == Phase::Claim) {
      Reply r = reader_.command({"XAUTOCLAIM", key_, group_, consumer_, std::to_string(settings_.claim_idle.count()),
                                 claim_cursor_, "COUNT", std::to_string(kReadCount)});
      if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) {
        claim_cursor_ = text_of(r->element[0]);
        read_entries(r->element[1], got);
      }
      if (!got.empty()) host_.count("entries_claimed", static_cast<int64_t>(got.size()));
      if (claim_cursor_ == "0-0" || r->type != REDIS_REPLY_ARRAY) {
        phase_ = Phase::New;
        claim_cursor_ = "0-0";
        last_claim_ = Clock::now();
      }
    } else {
      if (follow_ && Clock::now() - last_claim_ >= settings_.claim_idle) {
        phase_ = Phase::Claim;
        return true;
      }
      std::vector<std::string> argv = {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", std::to_string(kReadCount)};
      if (follow_) argv.insert(argv.end(), {"BLOCK", std::to_string(wait.count())});
      argv.insert(argv.end(), {"STREAMS", key_, ">"});
      Reply r = reader_.command(argv);
      read_entries(entries_of_read(r.get()), got);
      if (!follow_ && !got.empty() && id_value(got.back().id) >= target_) reached_target_ = true;
    }
    for (auto& e : got) pending_.push_back(std::move(e));
    if (follow_) return true;
    return !reached_target_ && (!got.empty() || was != Phase::New);
  }

  // The entries in hand as one batch; their ids wait for its checkpoint.
  std::optional<Batch> take_batch() override {
    if (pending_.empty()) return std::nullopt;
    Batch out;
    build(out);
    ++batch_;
    std::vector<std::string> ids;
    ids.reserve(pending_.size());
    for (auto& e : pending_) ids.push_back(std::move(e.id));
    {
      std::lock_guard lock(mutex_);
      unacked_.emplace_back(batch_, std::move(ids));
    }
    json::Object cp;
    cp.set("batch", json::Value(batch_));
    cp.set("columns", typing::learned_columns(columns_));
    out.checkpoint = json::Value(std::move(cp)).dump();
    pending_.clear();
    return out;
  }

  void build(Batch& out) {
    // Every field first widens its column, so that the batch is built once
    // under its final schema.
    for (const Entry& e : pending_)
      for (const auto& [field, value] : e.fields) {
        const std::size_t c = columns_.index_or_add(field);
        if (columns_[c].declared) continue;
        const typing::Shape wider = typing::widen(columns_[c].shape, typing::classify(value));
        if (wider != columns_[c].shape) columns_.widen_to(c, wider, value);
      }
    Schema now = columns_.schema();
    if (now != schema_) {
      schema_ = std::move(now);
      out.new_schema = schema_;
    }
    BatchBuilder rows(schema_);
    std::vector<bool> present;
    for (const Entry& e : pending_) {
      const int64_t at = rows.rows();
      present.assign(schema_.size(), false);
      present[0] = true;
      std::optional<std::string> problem;
      for (const auto& [field, value] : e.fields) {
        const std::size_t c = static_cast<std::size_t>(columns_.find(field));
        if (present[c]) continue;  // a repeated field: the first one wins
        present[c] = true;
        if (!typing::append_text(rows.column(c), value)) {
          problem = "field '" + field + "': '" + value.substr(0, 100) + "' is not a valid " + schema_[c].type.name();
          break;
        }
      }
      if (problem) {
        rows.truncate(at);
        reject(e, *problem);
        continue;
      }
      for (std::size_t c = 1; c < present.size(); ++c)
        if (!present[c]) rows.column(c).append_null();
      rows.column(0).append_string(e.id);
    }
    out.array = rows.finish();
  }

  void reject(const Entry& e, const std::string& why) {
    if (!settings_.skip_malformed)
      throw data_error("redis stream " + key_ + " entry " + e.id + ": " + why +
                       " (on_error = \"skip\" counts and skips such entries)");
    host_.count("entries_rejected", 1);
    if (++rejected_ <= 10) host_.warn("entry skipped: redis stream " + key_ + " entry " + e.id + ": " + why);
  }

  enum class Phase { Own, Claim, New };

  const SourceSettings settings_;
  const std::string key_;
  const bool follow_;
  typing::ColumnSet columns_;
  Schema schema_;
  const std::string group_, consumer_;
  Connection reader_;
  Phase phase_ = Phase::Own;
  std::string own_after_ = "0", claim_cursor_ = "0-0";
  std::pair<uint64_t, uint64_t> target_{0, 0};
  bool reached_target_ = false;
  std::vector<Entry> pending_;
  Clock::time_point last_claim_{};
  int64_t batch_ = 0, rejected_ = 0;

  std::mutex mutex_;  // checkpoint_saved comes from another thread
  Connection acker_;
  std::deque<std::pair<int64_t, std::vector<std::string>>> unacked_;  // batch -> its entry ids
};

}  // namespace

std::string default_consumer() {
  char name[256] = "";
  gethostname(name, sizeof name - 1);
  return std::string(name) + "-" + std::to_string(getpid());
}

std::unique_ptr<SourceStream> open_stream_reader(const SourceSettings& settings, const StreamRequest& request,
                                                 const Instance& owner) {
  return std::make_unique<StreamReader>(settings, request, owner);
}

}  // namespace ingestd::plugins::redis
