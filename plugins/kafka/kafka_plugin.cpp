// kafka: topics as streams (a consumer group, offsets committed only after
// the destinations), and a destination that sends each row as a message.
// See README.md.
#include "client.hpp"
#include "producer_table.hpp"
#include "topic_stream.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>

#include <regex>

namespace ingestd::plugins::kafka {
namespace {

using namespace ingestd::sdk;

constexpr uint32_t kSource = INGESTD_KIND_SOURCE, kDestination = INGESTD_KIND_DESTINATION;

// The options of both roles, each declared once in options() below.
struct Settings {
  std::string brokers;
  std::string security_protocol;
  std::string sasl_mechanism;
  std::string sasl_username;
  Secret sasl_password;
  std::string ssl_ca_location;
  Secret ssl_key_password;
  json::Value properties;
  std::vector<std::string> topics;
  std::string group_id;
  std::string format = "json";
  std::string start = "earliest";
  std::string on_error = "fail";
  json::Value columns;
  std::chrono::milliseconds max_batch_age{200};
  std::string topic = "{stream}";
  std::string value_column;
  std::vector<std::string> key;
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    using S = Settings;
    BoundOptions<S> b;
    b.add("brokers", &S::brokers, "Bootstrap brokers, host:port[,host:port...]").required();
    b.add("security_protocol", &S::security_protocol, "plaintext, ssl, sasl_plaintext or sasl_ssl (default plaintext)")
        .one_of({"", "plaintext", "ssl", "sasl_plaintext", "sasl_ssl"});
    b.add("sasl_mechanism", &S::sasl_mechanism, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    b.add("sasl_username", &S::sasl_username, "SASL user name");
    b.add("sasl_password", &S::sasl_password, "SASL password (use ${VAR})");
    b.add("ssl_ca_location", &S::ssl_ca_location, "CA certificate file to verify the brokers with");
    b.add("ssl_key_password", &S::ssl_key_password, "Password of the client's private key (use ${VAR})");
    b.add("properties", &S::properties,
          "More librdkafka properties, { \"fetch.max.bytes\" = \"1048576\" }; those ingestd sets itself are refused");
    b.add("topics", &S::topics,
          "Topics to read, by name, or as a regular expression starting with ^ (default: every topic)")
        .only_for(kSource);
    b.add("group_id", &S::group_id, "Consumer group (default ingestd_<flow>); ingestd processes of one group share "
                                    "the partitions")
        .only_for(kSource);
    b.add("format", &S::format,
          "json: each message a JSON object whose keys become columns; text: the value as a string column `value`; "
          "raw: the value as bytes")
        .one_of({"json", "text", "raw"});
    b.add("start", &S::start, "Where a group without committed offsets starts: earliest or latest")
        .one_of({"earliest", "latest"})
        .only_for(kSource);
    b.add("on_error", &S::on_error,
          "A message that does not fit (not JSON, not text): fail the stream naming its partition and offset, or "
          "skip it (counted as messages_rejected)")
        .one_of({"fail", "skip"})
        .only_for(kSource);
    b.add("columns", &S::columns, "format = json: columns declared up front, [\"id:int64\", \"name\"]; other keys are "
                                  "added as they appear")
        .only_for(kSource);
    b.add("max_batch_age", &S::max_batch_age, "How long messages wait for more before a batch goes out")
        .only_for(kSource);
    b.add("topic", &S::topic, "The topic each stream goes to; {stream} and {table} are replaced").only_for(kDestination);
    b.add("value_column", &S::value_column, "format = text or raw: the column sent as each message's value")
        .only_for(kDestination);
    b.add("key", &S::key, "Columns that make each message's key (one: its text; several: a JSON array)")
        .only_for(kDestination);
    return b;
  }();
  return o;
}

Format format_of(const std::string& name) {
  return name == "raw" ? Format::Raw : name == "text" ? Format::Text : Format::Json;
}

ClientSettings client_settings(const Settings& s) {
  ClientSettings c;
  c.brokers = s.brokers;
  c.security_protocol = s.security_protocol;
  c.sasl_mechanism = s.sasl_mechanism;
  c.sasl_username = s.sasl_username;
  c.sasl_password = s.sasl_password.value;
  c.ssl_ca_location = s.ssl_ca_location;
  c.ssl_key_password = s.ssl_key_password.value;
  if (!s.properties.is_null()) {
    if (!s.properties.is_object()) throw config_error("properties must be a table of librdkafka properties");
    for (const auto& [key, value] : s.properties.as_object()) {
      if (key.find("password") != std::string::npos || key.find("secret") != std::string::npos)
        throw config_error("property '" + key + "' holds a secret: use sasl_password or ssl_key_password, which "
                           "are kept out of logs");
      if (property_reserved(key)) throw config_error("property '" + key + "' is set by ingestd: leave it out");
      c.properties.emplace_back(key, value.is_string() ? value.as_string() : value.dump());
    }
  }
  return c;
}

class KafkaSource : public Instance {
 public:
  explicit KafkaSource(const Settings& s) {
    settings_.client = client_settings(s);
    settings_.group_id = s.group_id;
    settings_.format = format_of(s.format);
    settings_.start_earliest = s.start == "earliest";
    settings_.skip_malformed = s.on_error == "skip";
    settings_.columns = kit::typing::parse_declared_columns(s.columns);
    if (settings_.format != Format::Json && !settings_.columns.empty())
      throw config_error("columns applies to format = \"json\"");
    settings_.max_batch_age = s.max_batch_age;
    topics_ = s.topics;
    for (const auto& t : topics_)
      if (t.rfind('^', 0) == 0) {
        try {
          patterns_.emplace_back(t, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          throw config_error("topics: '" + t + "' is no regular expression: " + e.what());
        }
      }
  }

  void check() override { topics(); }

  std::vector<StreamInfo> discover() override {
    std::vector<StreamInfo> out;
    for (const std::string& topic : topics()) {
      StreamInfo si;
      si.name = topic;
      si.schema = metadata_columns(settings_.format);
      kit::typing::ColumnSet declared(settings_.columns);
      declared.add_declared();
      for (const Field& f : declared.schema().fields) si.schema.fields.push_back(f);
      si.primary_key = {"_kafka_partition", "_kafka_offset"};
      si.extract_modes = INGESTD_EXTRACT_INCREMENTAL_APPENDS;
      si.continuous = true;
      out.push_back(std::move(si));
    }
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    return open_topic_stream(settings_, r, *this);
  }

 private:
  // The cluster's topics that `topics` selects.
  std::vector<std::string> topics() {
    std::vector<std::string> out;
    for (const std::string& t : cluster_topics(settings_.client))
      if (selected(t)) out.push_back(t);
    return out;
  }

  bool selected(const std::string& topic) const {
    if (topics_.empty()) return true;
    for (const auto& t : topics_)
      if (t == topic) return true;
    for (const auto& p : patterns_)
      if (std::regex_match(topic, p)) return true;
    return false;
  }

  SourceSettings settings_;
  std::vector<std::string> topics_;
  std::vector<std::regex> patterns_;
};

class KafkaDestination : public Instance {
 public:
  explicit KafkaDestination(const Settings& s) {
    settings_.client = client_settings(s);
    settings_.topic = s.topic;
    settings_.format = format_of(s.format);
    settings_.value_column = s.value_column;
    settings_.key = s.key;
    if (settings_.format != Format::Json && settings_.value_column.empty())
      throw config_error("format = \"" + s.format + "\" sends one column as the value: set value_column");
  }

  void check() override { cluster_topics(settings_.client); }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    return open_producer_table(settings_, r, *this);
  }

 private:
  DestinationSettings settings_;
};

PluginInfo describe() {
  PluginInfo p{.name = "kafka", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "Kafka: topics as streams through a consumer group (offsets committed after the "
                              "destinations); rows as messages through an idempotent producer",
               .extract_modes = INGESTD_EXTRACT_INCREMENTAL_APPENDS,
               .load_modes = INGESTD_LOAD_APPEND};
  p.source_acks = true;  // offsets reach the group only once saved
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const Settings s = options().bind(ctx);
  if (ctx.role == kSource) return std::make_unique<KafkaSource>(s);
  return std::make_unique<KafkaDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::kafka

INGESTD_PLUGIN(ingestd::plugins::kafka::describe, ingestd::plugins::kafka::create)
