#include "topic_stream.hpp"

#include <ingestd/kit/typing/json_rows.hpp>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/polled_stream.hpp>

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

namespace ingestd::plugins::kafka {

using namespace ingestd::sdk;
namespace dom = simdjson::dom;

namespace {

using Offsets = std::map<int32_t, int64_t>;  // partition -> next offset

// Columns before the message's own: partition, offset, timestamp, key, headers.
constexpr std::size_t kMetadataColumns = 5;

std::optional<Offsets> offsets_of_checkpoint(std::string_view checkpoint) {
  try {
    const json::Value v = json::Value::parse(checkpoint);
    if (!v["offsets"].is_object()) return std::nullopt;
    Offsets out;
    for (const auto& [p, next] : v["offsets"].as_object()) out[static_cast<int32_t>(std::stol(p))] = next.as_int();
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A message as it waits for its batch: copied out of librdkafka's buffer.
struct Pending {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // -1: none
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::string headers;  // a JSON object, or empty
};

std::string headers_json(rd_kafka_message_t* m) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR || !headers) return {};
  json::Object o;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
    o.set(name, value ? json::Value(std::string(static_cast<const char*>(value), size)) : json::Value());
  return json::Value(std::move(o)).dump();
}

class TopicStream : public PolledStream {
 public:
  TopicStream(const SourceSettings& s, const StreamRequest& r, const Instance& owner)
      : PolledStream(r.host, owner, r.batch_rows, s.max_batch_age), settings_(s), topic_(r.stream),
        follow_(r.settings.follow), columns_(s.columns) {
    for (const Field& f : metadata_columns(s.format).fields) {
      kit::typing::Column& c = columns_[columns_.add(f.name)];
      c.declared = true;
      c.declared_type = f.type;
    }
    columns_.add_declared();
    columns_.report_widenings_to(host_, r.stream);
    if (r.state) {
      auto saved = offsets_of_checkpoint(*r.state);
      if (!saved) throw data_error("the saved state of " + r.stream + " holds no Kafka offsets");
      offsets_ = std::move(*saved);
      emitted_ = offsets_;
      kit::typing::relearn_columns(columns_, json::Value::parse(*r.state)["columns"]);
    }
    client_ = ClientOwner{host_, this};
    schema_ = columns_.schema();
    Conf conf = make_conf(s.client, &client_);
    const std::string group = s.group_id.empty() ? "ingestd_" + (r.settings.flow.empty() ? std::string("flow") : r.settings.flow) : s.group_id;
    set_property(conf.get(), "group.id", group);
    set_property(conf.get(), "enable.auto.commit", "false");
    set_property(conf.get(), "enable.auto.offset.store", "false");
    set_property(conf.get(), "auto.offset.reset", s.start_earliest ? "earliest" : "latest");
    set_property(conf.get(), "enable.partition.eof", "true");
    set_property(conf.get(), "partition.assignment.strategy", "cooperative-sticky");
    // librdkafka prefetches up to 64 MB a consumer by default; a batch needs far less.
    const bool prefetch_set = std::any_of(s.client.properties.begin(), s.client.properties.end(),
                                          [](const auto& p) { return p.first == "queued.max.messages.kbytes"; });
    if (!prefetch_set) set_property(conf.get(), "queued.max.messages.kbytes", "16384");
    rd_kafka_conf_set_rebalance_cb(conf.get(), &TopicStream::on_rebalance);
    rk_ = make_handle(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(rk_.get());
    if (partitions_of(rk_.get(), topic_, 10'000).empty()) {
      std::vector<std::string> topics = list_topics(rk_.get(), 10'000);
      std::string names;
      for (const auto& t : topics) names += (names.empty() ? "" : ", ") + t;
      throw config_error("the cluster has no topic '" + topic_ + "' (topics: " + (names.empty() ? "none" : names) + ")");
    }
    rd_kafka_topic_partition_list_t* subscription = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subscription, topic_.c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), subscription);
    rd_kafka_topic_partition_list_destroy(subscription);
    if (err) throw io_error("kafka: cannot subscribe to " + topic_ + ": " + rd_kafka_err2str(err), true);
    opened_at_ = Clock::now();
    host_.debug("reading topic " + topic_ + " in group " + group);
  }

  ~TopicStream() override {
    // The last saved offsets reach the group before the consumer leaves it.
    try {
      commit_saved(false);
    } catch (...) {
    }
    rd_kafka_consumer_close(rk_.get());
    rk_.reset();
  }

  Schema schema() override { return schema_; }

  void checkpoint_saved(std::string_view checkpoint) override {
    auto saved = offsets_of_checkpoint(checkpoint);
    if (!saved) return;
    {
      std::lock_guard lock(mutex_);
      saved_ = std::move(*saved);
    }
    commit_saved(true);
  }

 private:
  bool poll(std::chrono::milliseconds wait) override {
    if (!follow_ && caught_up()) return false;
    if (!assigned_once_ && Clock::now() - opened_at_ > settings_.assignment_timeout)
      throw io_error("kafka: no partition of " + topic_ + " was assigned to this consumer within " +
                         std::to_string(settings_.assignment_timeout.count() / 1000) + " s",
                     true);
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), static_cast<int>(wait.count()));
    if (callback_error_) {
      if (m) rd_kafka_message_destroy(m);
      std::rethrow_exception(std::exchange(callback_error_, nullptr));
    }
    if (m) {
      try {
        handle(m);
      } catch (...) {
        rd_kafka_message_destroy(m);
        throw;
      }
      rd_kafka_message_destroy(m);
    }
    return follow_ || !caught_up();
  }

  std::size_t held() const override { return pending_.size(); }

  // The state: the next offset of every partition, and the columns learned
  // from the messages so far, so that the next run starts with them rather
  // than announcing them again as new.
  std::string checkpoint() const {
    json::Object offsets;
    for (const auto& [p, next] : offsets_) offsets.set(std::to_string(p), json::Value(next));
    json::Object cp;
    cp.set("offsets", json::Value(std::move(offsets)));
    cp.set("columns", kit::typing::learned_columns(columns_));
    return json::Value(std::move(cp)).dump();
  }

  // Tells the group what ingestd saved, for the partitions this consumer
  // still owns: a partition given up is the new owner's to commit.
  void commit_saved(bool async) {
    rd_kafka_topic_partition_list_t* list = nullptr;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [p, next] : saved_) {
        if (!assigned_.count(p) || committed_[p] == next) continue;
        if (!list) list = rd_kafka_topic_partition_list_new(static_cast<int>(saved_.size()));
        rd_kafka_topic_partition_list_add(list, topic_.c_str(), p)->offset = next;
        committed_[p] = next;
      }
    }
    if (!list) return;
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list, async ? 1 : 0);
    rd_kafka_topic_partition_list_destroy(list);
    if (err && !async) host_.warn(std::string("kafka: committing offsets to the group failed: ") + rd_kafka_err2str(err));
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    auto* self = static_cast<TopicStream*>(static_cast<ClientOwner*>(opaque)->owner);
    const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    // Nothing may be thrown through librdkafka: next() rethrows it.
    const auto guarded = [&](auto&& step) {
      try {
        step();
      } catch (...) {
        if (!self->callback_error_) self->callback_error_ = std::current_exception();
      }
    };
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      guarded([&] { self->assigning(parts); });
      rd_kafka_error_t* e = cooperative ? rd_kafka_incremental_assign(rk, parts) : nullptr;
      if (!cooperative) rd_kafka_assign(rk, parts);
      if (e) {
        self->host_.warn(std::string("kafka: assignment failed: ") + rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      guarded([&] { self->revoking(parts); });
      rd_kafka_error_t* e = cooperative ? rd_kafka_incremental_unassign(rk, parts) : nullptr;
      if (!cooperative) rd_kafka_assign(rk, nullptr);
      if (e) rd_kafka_error_destroy(e);
    }
  }

  // New partitions start where ingestd saved them; the others where the group
  // committed, or at `start`. Under `ingestd run` each is read up to the end
  // it has now.
  void assigning(rd_kafka_topic_partition_list_t* parts) {
    for (int i = 0; i < parts->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = parts->elems[i];
      auto it = offsets_.find(tp.partition);
      if (it != offsets_.end()) tp.offset = it->second;
      if (!follow_) {
        int64_t low = 0, high = 0;
        const rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk_.get(), topic_.c_str(), tp.partition, &low, &high, 10'000);
        if (err) throw io_error("kafka: cannot read the end offset of " + topic_ + " partition " +
                                    std::to_string(tp.partition) + ": " + rd_kafka_err2str(err),
                                true);
        end_[tp.partition] = high;
        if (it != offsets_.end() && it->second >= high) done_.insert(tp.partition);
        if (high <= low) done_.insert(tp.partition);
      }
      std::lock_guard lock(mutex_);
      assigned_.insert(tp.partition);
    }
    assigned_once_ = true;
    host_.debug("kafka: " + std::to_string(parts->cnt) + " partition(s) of " + topic_ + " assigned");
  }

  // Rows read from a partition given up go out with the batch in hand, and
  // its offset stays in the checkpoint: should the partition come back, this
  // consumer goes on from there (exactly once while one process reads the
  // topic; with several, a partition that moved may be read again: merge).
  void revoking(rd_kafka_topic_partition_list_t* parts) {
    send_held();
    std::lock_guard lock(mutex_);
    for (int i = 0; i < parts->cnt; ++i) {
      const int32_t p = parts->elems[i].partition;
      assigned_.erase(p);
      end_.erase(p);
      done_.erase(p);
    }
  }

  bool caught_up() const {
    if (!assigned_once_) return false;
    for (const auto& [p, high] : end_)
      if (!done_.count(p)) return false;
    return true;
  }

  void handle(rd_kafka_message_t* m) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      done_.insert(m->partition);
      return;
    }
    if (m->err) {
      const std::string what = rd_kafka_message_errstr(m);
      if (m->err == RD_KAFKA_RESP_ERR__FATAL || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
          m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        throw io_error("kafka: " + topic_ + ": " + what, m->err == RD_KAFKA_RESP_ERR__FATAL);
      host_.debug("kafka: " + topic_ + ": " + what);  // librdkafka retries on its own
      return;
    }
    Pending p;
    p.partition = m->partition;
    p.offset = m->offset;
    rd_kafka_timestamp_type_t type;
    p.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    if (m->key) p.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) p.value.emplace(static_cast<const char*>(m->payload), m->len);
    p.headers = headers_json(m);
    offsets_[p.partition] = p.offset + 1;
    if (!follow_) {
      auto end = end_.find(p.partition);
      if (end != end_.end() && p.offset + 1 >= end->second) done_.insert(p.partition);
    }
    pending_.push_back(std::move(p));
  }

  // The messages in hand as one batch, checkpointed at the offsets after them.
  std::optional<Batch> take_batch() override {
    if (pending_.empty() && offsets_ == emitted_) return std::nullopt;
    Batch out;
    if (settings_.format == Format::Json) build_json(out);
    else build_plain(out);
    out.checkpoint = checkpoint();
    emitted_ = offsets_;
    pending_.clear();
    return out;
  }

  static void append_metadata(BatchBuilder& rows, const Pending& p) {
    rows.column(0).append_int(p.partition);
    rows.column(1).append_int(p.offset);
    if (p.timestamp_ms >= 0) rows.column(2).append_int(p.timestamp_ms * 1000);
    else rows.column(2).append_null();
    if (p.key) rows.column(3).append_string(*p.key);
    else rows.column(3).append_null();
    if (!p.headers.empty()) rows.column(4).append_string(p.headers);
    else rows.column(4).append_null();
  }

  std::string where(const Pending& p) const {
    return "topic " + topic_ + " partition " + std::to_string(p.partition) + " offset " + std::to_string(p.offset);
  }

  void reject(const Pending& p, const std::string& why) {
    if (!settings_.skip_malformed)
      throw data_error(where(p) + ": " + why + " (on_error = \"skip\" counts and skips such messages)");
    host_.count("messages_rejected", 1);
    if (++rejected_ <= 10) host_.warn("message skipped: " + where(p) + ": " + why);
  }

  // A key that is no text cannot be _kafka_key.
  bool key_fits(const Pending& p) {
    if (!p.key || valid_utf8(*p.key)) return true;
    reject(p, "the key is not UTF-8 text");
    return false;
  }

  void build_plain(Batch& out) {
    BatchBuilder rows(schema_);
    for (const Pending& p : pending_) {
      if (!key_fits(p)) continue;
      if (settings_.format == Format::Text && p.value && !valid_utf8(*p.value)) {
        reject(p, "the value is not UTF-8 text (format = \"raw\" reads it as bytes)");
        continue;
      }
      append_metadata(rows, p);
      if (p.value) rows.column(kMetadataColumns).append_string(*p.value);
      else rows.column(kMetadataColumns).append_null();
    }
    out.array = rows.finish();
  }

  void build_json(Batch& out) {
    // Every message first widens the columns, so that the batch is built
    // once under its final schema. Each is parsed again to be appended: one
    // parser's buffers serve the whole batch, rather than a document each.
    std::vector<bool> usable(pending_.size(), false);
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      const Pending& p = pending_[i];
      if (!key_fits(p)) continue;
      usable[i] = true;
      if (!p.value) continue;  // a tombstone: the metadata alone
      dom::element e;
      if (auto err = parser_.parse(*p.value).get(e)) {
        reject(p, std::string("not JSON: ") + simdjson::error_message(err));
        usable[i] = false;
      } else if (!e.is_object()) {
        reject(p, "a JSON value that is not an object");
        usable[i] = false;
      } else {
        kit::typing::sample_object(dom::object(e), columns_);
      }
    }
    // Sampling made room for every value; a column widened while appending
    // (a value its sampled type cannot hold after all) starts the batch over.
    for (;;) {
      Schema now = columns_.schema();
      if (now != schema_) {
        schema_ = std::move(now);
        out.new_schema = schema_;
      }
      BatchBuilder rows(schema_);
      bool again = false;
      for (std::size_t i = 0; i < pending_.size() && !again; ++i) {
        const Pending& p = pending_[i];
        if (!usable[i]) continue;
        if (!p.value) {
          for (std::size_t c = kMetadataColumns; c < schema_.size(); ++c) rows.column(c).append_null();
          append_metadata(rows, p);
          continue;
        }
        dom::element e = parser_.parse(*p.value).value_unsafe();  // parsed once above without error
        switch (appender_.append(dom::object(e), columns_, rows, kMetadataColumns)) {
          case kit::typing::JsonRowAppender::Result::Appended: append_metadata(rows, p); break;
          case kit::typing::JsonRowAppender::Result::ColumnsChanged: again = true; break;
          case kit::typing::JsonRowAppender::Result::Rejected:
            reject(p, appender_.reason());
            usable[i] = false;
            break;
        }
      }
      if (again) continue;
      out.array = rows.finish();
      return;
    }
  }

  static bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

  const SourceSettings settings_;
  const std::string topic_;
  const bool follow_;
  kit::typing::ColumnSet columns_;
  Schema schema_;
  ClientOwner client_;
  KafkaHandle rk_;
  std::exception_ptr callback_error_;
  dom::parser parser_;
  kit::typing::JsonRowAppender appender_;

  Offsets offsets_;  // next offset per partition: saved ones, advanced as messages arrive
  Offsets emitted_;  // as the last batch's checkpoint said
  std::map<int32_t, int64_t> end_;  // ingestd run: each assigned partition's end when assigned
  std::set<int32_t> done_;          // ingestd run: partitions read to that end
  std::vector<Pending> pending_;
  Clock::time_point opened_at_{};
  bool assigned_once_ = false;
  int64_t rejected_ = 0;

  std::mutex mutex_;  // checkpoint_saved comes from another thread
  std::set<int32_t> assigned_;
  Offsets saved_, committed_;
};

}  // namespace

Schema metadata_columns(Format format) {
  Schema s;
  s.fields.push_back({"_kafka_partition", TypeId::Int64, false});
  s.fields.push_back({"_kafka_offset", TypeId::Int64, false});
  s.fields.push_back({"_kafka_timestamp", TypeId::TimestampUs, true});
  s.fields.push_back({"_kafka_key", TypeId::Utf8, true});
  s.fields.push_back({"_kafka_headers", TypeId::Utf8, true});
  if (format != Format::Json) s.fields.push_back({"value", format == Format::Raw ? TypeId::Binary : TypeId::Utf8, true});
  return s;
}

std::unique_ptr<SourceStream> open_topic_stream(const SourceSettings& settings, const StreamRequest& request,
                                                const Instance& owner) {
  return std::make_unique<TopicStream>(settings, request, owner);
}

}  // namespace ingestd::plugins::kafka
