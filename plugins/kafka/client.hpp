// What the kafka source and destination share: the client configuration
// built from the plugin's options, and librdkafka handles that free
// themselves.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ingestd::plugins::kafka {

struct ClientSettings {
  std::string brokers;
  std::string security_protocol;  // empty: librdkafka's default (plaintext)
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;  // secret
  std::string ssl_ca_location;
  std::string ssl_key_password;  // secret
  // librdkafka properties passed through as they are (checked by it).
  std::vector<std::pair<std::string, std::string>> properties;
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// What librdkafka's callbacks reach through the handle's opaque: where to
// log, and the stream or table they are about.
struct ClientOwner {
  ingestd::sdk::Host host;
  void* owner = nullptr;
};

// Properties ingestd sets itself, refused in `properties`.
bool property_reserved(const std::string& key);

// The client configuration; librdkafka's errors and logs go to the owner's
// host (`owner` must outlive the handle made from it).
Conf make_conf(const ClientSettings& settings, ClientOwner* owner);
// Sets one property; a refusal names the property, never a secret's value.
void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value);
// Makes the handle (consumes `conf`).
KafkaHandle make_handle(rd_kafka_type_t type, Conf conf);

// The topics the cluster has (internal ones left out), sorted.
std::vector<std::string> list_topics(rd_kafka_t* rk, int timeout_ms);
// The same through a short-lived client of its own (check, discover).
std::vector<std::string> cluster_topics(const ClientSettings& settings);
// The partitions of `topic`; empty when the cluster does not have it.
std::vector<int32_t> partitions_of(rd_kafka_t* rk, const std::string& topic, int timeout_ms);

}  // namespace ingestd::plugins::kafka
