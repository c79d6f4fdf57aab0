#include "client.hpp"

#include <ingestd/sdk/error.hpp>

#include <algorithm>
#include <array>

namespace ingestd::plugins::kafka {

using namespace ingestd::sdk;

namespace {

constexpr std::array kReserved = {"bootstrap.servers", "group.id",          "enable.auto.commit",
                                  "enable.auto.offset.store", "auto.offset.reset", "enable.partition.eof",
                                  "partition.assignment.strategy", "enable.idempotence", "acks",
                                  "sasl.password", "ssl.key.password"};

// librdkafka's own complaints (a broker down, a refused login) as warnings of the instance.
void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
  const auto* owner = static_cast<const ClientOwner*>(opaque);
  const std::string text = std::string("kafka: ") + (reason ? reason : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
  if (owner) owner->host.warn(text);
}

void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const auto* owner = static_cast<const ClientOwner*>(rd_kafka_opaque(rk));
  if (!owner) return;
  const std::string text = std::string("kafka ") + (facility ? facility : "") + ": " + (message ? message : "");
  if (level <= 3) owner->host.warn(text);
  else owner->host.debug(text);
}

}  // namespace

bool property_reserved(const std::string& key) {
  return std::find(kReserved.begin(), kReserved.end(), key) != kReserved.end();
}

void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw config_error("kafka property '" + key + "': " + err);
}

Conf make_conf(const ClientSettings& s, ClientOwner* owner) {
  Conf conf(rd_kafka_conf_new());
  set_property(conf.get(), "bootstrap.servers", s.brokers);
  set_property(conf.get(), "client.id", "ingestd");
  if (!s.security_protocol.empty()) set_property(conf.get(), "security.protocol", s.security_protocol);
  if (!s.sasl_mechanism.empty()) set_property(conf.get(), "sasl.mechanisms", s.sasl_mechanism);
  if (!s.sasl_username.empty()) set_property(conf.get(), "sasl.username", s.sasl_username);
  if (!s.sasl_password.empty()) set_property(conf.get(), "sasl.password", s.sasl_password);
  if (!s.ssl_ca_location.empty()) set_property(conf.get(), "ssl.ca.location", s.ssl_ca_location);
  if (!s.ssl_key_password.empty()) set_property(conf.get(), "ssl.key.password", s.ssl_key_password);
  for (const auto& [key, value] : s.properties) {
    if (property_reserved(key))
      throw config_error("kafka property '" + key + "' is set by ingestd (or by its own option): leave it out of properties");
    set_property(conf.get(), key, value);
  }
  rd_kafka_conf_set_opaque(conf.get(), owner);
  rd_kafka_conf_set_error_cb(conf.get(), &on_error);
  rd_kafka_conf_set_log_cb(conf.get(), &on_log);
  return conf;
}

KafkaHandle make_handle(rd_kafka_type_t type, Conf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) throw config_error(std::string("kafka client: ") + err);
  conf.release();  // the handle owns it now
  return KafkaHandle(rk);
}

namespace {

struct Metadata {
  const rd_kafka_metadata_t* md = nullptr;
  ~Metadata() {
    if (md) rd_kafka_metadata_destroy(md);
  }
};

void fetch(rd_kafka_t* rk, Metadata& m, int timeout_ms) {
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &m.md, timeout_ms);
  if (err) throw io_error(std::string("kafka: cannot read the cluster's topics: ") + rd_kafka_err2str(err), true);
}

}  // namespace

std::vector<std::string> list_topics(rd_kafka_t* rk, int timeout_ms) {
  Metadata m;
  fetch(rk, m, timeout_ms);
  std::vector<std::string> out;
  for (int i = 0; i < m.md->topic_cnt; ++i) {
    const std::string name = m.md->topics[i].topic;
    if (name.rfind("__", 0) != 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> cluster_topics(const ClientSettings& settings) {
  ClientOwner quiet{};
  KafkaHandle rk = make_handle(RD_KAFKA_PRODUCER, make_conf(settings, &quiet));
  try {
    return list_topics(rk.get(), 10'000);
  } catch (const std::exception& e) {
    throw io_error(std::string(e.what()) + " (brokers " + settings.brokers + ")", true);
  }
}

std::vector<int32_t> partitions_of(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  Metadata m;
  fetch(rk, m, timeout_ms);
  std::vector<int32_t> out;
  for (int i = 0; i < m.md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = m.md->topics[i];
    if (topic != t.topic || t.err) continue;
    for (int p = 0; p < t.partition_cnt; ++p) out.push_back(t.partitions[p].id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ingestd::plugins::kafka
