#include "producer_table.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/values.hpp>

#include <optional>

namespace ingestd::plugins::kafka {

using namespace ingestd::sdk;

namespace {

class ProducerTable : public DestinationTable {
 public:
  ProducerTable(const DestinationSettings& s, const TableRequest& r, const Instance& owner)
      : settings_(s), host_(r.host), owner_(owner), topic_(name_for(s.topic, r)) {
    if (topic_.empty()) throw config_error("topic names no topic for stream " + r.stream);
    client_ = ClientOwner{host_, this};
    Conf conf = make_conf(s.client, &client_);
    set_property(conf.get(), "enable.idempotence", "true");
    set_property(conf.get(), "acks", "all");
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &ProducerTable::on_delivery);
    rk_ = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
    schema_changed(r.schema);
  }

  ~ProducerTable() override {
    if (rk_) rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  }

  void schema_changed(const Schema& schema) override {
    schema_ = schema;
    key_columns_.clear();
    for (const auto& k : settings_.key) key_columns_.push_back(column_named(k, "key"));
    value_column_.reset();
    if (settings_.format != Format::Json) value_column_ = column_named(settings_.value_column, "value_column");
  }

  void write(const BatchReader& batch) override {
    for (int64_t row = 0; row < batch.rows(); ++row) {
      key_.clear();
      if (key_columns_.size() == 1) {
        append_text(batch.column(key_columns_[0]), row, key_);
      } else if (!key_columns_.empty()) {
        key_ += '[';
        for (std::size_t i = 0; i < key_columns_.size(); ++i) {
          if (i) key_ += ',';
          append_json(batch.column(key_columns_[i]), row, key_);
        }
        key_ += ']';
      }
      value_.clear();
      bool null_value = false;
      if (value_column_) {
        const ColumnReader& c = batch.column(*value_column_);
        null_value = c.is_null(row);
        if (!null_value && settings_.format == Format::Raw && (c.type().id == TypeId::Binary || c.type().is_string_like()))
          value_ = c.string_value(row);
        else
          append_text(c, row, value_);
      } else {
        value_ += '{';
        for (std::size_t c = 0; c < batch.column_count(); ++c) {
          if (c) value_ += ',';
          json::write_string(value_, schema_[c].name);
          value_ += ':';
          append_json(batch.column(c), row, value_);
        }
        value_ += '}';
      }
      produce(key_columns_.empty() ? nullptr : &key_, null_value ? nullptr : &value_);
    }
  }

  void commit(uint64_t) override {
    while (rd_kafka_outq_len(rk_.get()) > 0) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      rd_kafka_flush(rk_.get(), 500);
    }
    if (rd_kafka_fatal_error(rk_.get(), nullptr, 0))
      throw io_error("kafka: the producer failed for good (" + fatal_reason() + "); the load starts again", true);
    if (failed_ > 0) {
      const std::string what = std::to_string(failed_) + " message(s) to " + topic_ +
                               " were not delivered (first: " + first_failure_ + ")";
      failed_ = 0;
      first_failure_.clear();
      throw io_error("kafka: " + what, true);
    }
    host_.count("messages_delivered", delivered_);
    delivered_ = 0;
  }

  void close(bool complete) override {
    if (complete) commit(0);
    else rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_.get(), complete ? 10'000 : 1'000);
    rk_.reset();
  }

 private:
  std::size_t column_named(const std::string& name, const char* option) const {
    for (std::size_t i = 0; i < schema_.size(); ++i)
      if (schema_[i].name == name) return i;
    std::string names;
    for (const auto& f : schema_.fields) names += (names.empty() ? "" : ", ") + f.name;
    throw config_error(std::string(option) + " names no column '" + name + "' of the stream (columns: " + names + ")");
  }

  void produce(const std::string* key, const std::string* value) {
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key ? key->data() : nullptr, key ? key->size() : 0),
          RD_KAFKA_V_VALUE(value ? const_cast<char*>(value->data()) : nullptr, value ? value->size() : 0),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw io_error("kafka: cannot send to " + topic_ + ": " + rd_kafka_err2str(err), true);
      // The producer's queue is full: wait for deliveries (backpressure).
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      rd_kafka_poll(rk_.get(), 100);
    }
    rd_kafka_poll(rk_.get(), 0);  // delivery reports as they come
  }

  std::string fatal_reason() {
    char reason[512] = "";
    rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
    return reason;
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<ProducerTable*>(static_cast<ClientOwner*>(opaque)->owner);
    if (!m->err) {
      ++self->delivered_;
      return;
    }
    if (self->failed_++ == 0) self->first_failure_ = rd_kafka_err2str(m->err);
  }

  const DestinationSettings settings_;
  Host host_;
  const Instance& owner_;
  const std::string topic_;
  Schema schema_;
  std::vector<std::size_t> key_columns_;
  std::optional<std::size_t> value_column_;
  std::string key_, value_;
  ClientOwner client_;
  KafkaHandle rk_;
  // Delivery reports arrive on this thread (in poll and flush).
  int64_t delivered_ = 0, failed_ = 0;
  std::string first_failure_;
};

}  // namespace

std::unique_ptr<DestinationTable> open_producer_table(const DestinationSettings& settings, const TableRequest& request,
                                                      const Instance& owner) {
  return std::make_unique<ProducerTable>(settings, request, owner);
}

}  // namespace ingestd::plugins::kafka
