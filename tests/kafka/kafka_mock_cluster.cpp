// kafka-mock-cluster: librdkafka's mock Kafka cluster (the Kafka protocol
// over TCP on 127.0.0.1) for tests and benchmarks, with a few client verbs.
//
//   kafka-mock-cluster [BROKERS]
//
// Prints "bootstrap HOST:PORT,..." and then answers commands read from
// standard input, one per line, each with one line "ok ..." or "error ...":
//   create TOPIC PARTITIONS           make a topic
//   produce TOPIC COUNT [FIRST]       COUNT JSON messages {"id": FIRST.., "name": "n<id>", "amount": <id>.5},
//                                     keyed "k<id>" (partitioned by key)
//   send TOPIC PARTITION KEY VALUE    one message; KEY "-" for none, VALUE the rest of the line
//   committed GROUP TOPIC             the group's committed offsets: "ok 0=120 1=-1001 ..."
//   count TOPIC                       the messages the topic holds now (the mock
//                                     cluster drops its oldest past some 80,000 a partition)
//   dump TOPIC FILE                   every message of the topic, one line each:
//                                     "PARTITION<TAB>OFFSET<TAB>KEY<TAB>VALUE"; "ok COUNT"
//   down BROKER | up BROKER           take a broker down or bring it back
//   fail API COUNT ERROR              the next COUNT requests of API (a Kafka API key) fail with ERROR
// Ends at end of input.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

rd_kafka_t* client(rd_kafka_type_t type, const std::string& bootstrap,
                   const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  for (const auto& [k, v] : extra)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      std::exit(2);
    }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "%s\n", err);
    std::exit(2);
  }
  return rk;
}

std::string produce(rd_kafka_t* producer, const std::string& topic, int32_t partition, const std::string* key,
                    const std::string& value) {
  for (;;) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key ? key->data() : nullptr, key ? key->size() : 0),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer, 50);
      continue;
    }
    return err ? rd_kafka_err2str(err) : "";
  }
}

std::string flush(rd_kafka_t* producer) {
  if (rd_kafka_flush(producer, 60'000)) return "messages still waiting after 60 s";
  return "";
}

// Delivery failures, counted by the producer's callback.
int failed_deliveries = 0;
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) ++failed_deliveries;
}

std::string committed(const std::string& bootstrap, const std::string& group, const std::string& topic) {
  rd_kafka_t* consumer = client(RD_KAFKA_CONSUMER, bootstrap, {{"group.id", group}});
  const rd_kafka_metadata_t* md = nullptr;
  std::string out = "ok";
  rd_kafka_topic_t* t = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  if (rd_kafka_metadata(consumer, 0, t, &md, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    const rd_kafka_resp_err_t err = rd_kafka_committed(consumer, list, 10'000);
    if (err) out = std::string("error ") + rd_kafka_err2str(err);
    else
      for (int i = 0; i < list->cnt; ++i)
        out += " " + std::to_string(list->elems[i].partition) + "=" + std::to_string(list->elems[i].offset);
    rd_kafka_topic_partition_list_destroy(list);
  } else {
    out = "error no topic " + topic;
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(consumer);
  return out;
}

std::string count(const std::string& bootstrap, const std::string& topic) {
  rd_kafka_t* consumer = client(RD_KAFKA_CONSUMER, bootstrap, {{"group.id", "kafka-mock-cluster-count"}});
  rd_kafka_topic_t* t = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  std::string out;
  if (rd_kafka_metadata(consumer, 0, t, &md, 10'000) || md->topic_cnt != 1) {
    out = "error no topic " + topic;
  } else {
    int64_t total = 0;
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
      int64_t low = 0, high = 0;
      rd_kafka_query_watermark_offsets(consumer, topic.c_str(), p, &low, &high, 10'000);
      total += high - low;
    }
    out = "ok " + std::to_string(total);
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(consumer);
  return out;
}

std::string dump(const std::string& bootstrap, const std::string& topic, const std::string& path) {
  rd_kafka_t* consumer = client(RD_KAFKA_CONSUMER, bootstrap, {{"group.id", "kafka-mock-cluster-dump"},
                                                               {"enable.partition.eof", "true"}});
  rd_kafka_topic_t* t = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(consumer, 0, t, &md, 10'000) || md->topic_cnt != 1) {
    rd_kafka_topic_destroy(t);
    rd_kafka_destroy(consumer);
    return "error no topic " + topic;
  }
  const int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  int open = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_query_watermark_offsets(consumer, topic.c_str(), p, &low, &high, 10'000);
    if (high > low) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
      ++open;
    }
  }
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::ofstream out(path, std::ios::binary);
  int64_t count = 0;
  while (open > 0) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 10'000);
    if (!m) break;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) --open;
    else if (!m->err) {
      out << m->partition << '\t' << m->offset << '\t'
          << (m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : std::string("-")) << '\t'
          << std::string(static_cast<const char*>(m->payload), m->payload ? m->len : 0) << '\n';
      ++count;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return open > 0 ? "error timed out" : "ok " + std::to_string(count);
}

}  // namespace

int main(int argc, char** argv) {
  const int brokers = argc > 1 ? std::atoi(argv[1]) : 3;
  rd_kafka_t* host = client(RD_KAFKA_PRODUCER, "");
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, brokers);
  if (!cluster) {
    std::fprintf(stderr, "kafka-mock-cluster: cannot start the mock cluster\n");
    return 2;
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  std::printf("bootstrap %s\n", bootstrap.c_str());
  std::fflush(stdout);

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string verb, answer = "ok";
    in >> verb;
    if (verb == "create") {
      std::string topic;
      int partitions = 1;
      in >> topic >> partitions;
      const rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 1);
      if (e) answer = std::string("error ") + rd_kafka_err2str(e);
    } else if (verb == "produce") {
      std::string topic;
      int64_t count = 0, first = 1;
      in >> topic >> count;
      if (!(in >> first)) first = 1;
      failed_deliveries = 0;
      std::string problem;
      for (int64_t id = first; id < first + count && problem.empty(); ++id) {
        const std::string key = "k" + std::to_string(id);
        const std::string value = "{\"id\":" + std::to_string(id) + ",\"name\":\"n" + std::to_string(id) +
                                  "\",\"amount\":" + std::to_string(id) + ".5}";
        problem = produce(producer, topic, RD_KAFKA_PARTITION_UA, &key, value);
        rd_kafka_poll(producer, 0);
      }
      if (problem.empty()) problem = flush(producer);
      if (problem.empty() && failed_deliveries) problem = std::to_string(failed_deliveries) + " not delivered";
      answer = problem.empty() ? "ok " + std::to_string(count) : "error " + problem;
    } else if (verb == "send") {
      std::string topic, key;
      int32_t partition = 0;
      in >> topic >> partition >> key;
      std::string value;
      std::getline(in >> std::ws, value);
      failed_deliveries = 0;
      std::string problem = produce(producer, topic, partition, key == "-" ? nullptr : &key, value);
      if (problem.empty()) problem = flush(producer);
      if (problem.empty() && failed_deliveries) problem = "not delivered";
      if (!problem.empty()) answer = "error " + problem;
    } else if (verb == "committed") {
      std::string group, topic;
      in >> group >> topic;
      answer = committed(bootstrap, group, topic);
    } else if (verb == "count") {
      std::string topic;
      in >> topic;
      answer = count(bootstrap, topic);
    } else if (verb == "dump") {
      std::string topic, path;
      in >> topic >> path;
      answer = dump(bootstrap, topic, path);
    } else if (verb == "down" || verb == "up") {
      int32_t broker = 1;
      in >> broker;
      const rd_kafka_resp_err_t e = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, broker)
                                                   : rd_kafka_mock_broker_set_up(cluster, broker);
      if (e) answer = std::string("error ") + rd_kafka_err2str(e);
    } else if (verb == "fail") {
      int api = 0, count = 0, code = 0;
      in >> api >> count >> code;
      std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(count), static_cast<rd_kafka_resp_err_t>(code));
      rd_kafka_mock_push_request_errors_array(cluster, static_cast<int16_t>(api), errors.size(), errors.data());
    } else {
      answer = "error unknown command '" + verb + "'";
    }
    std::printf("%s\n", answer.c_str());
    std::fflush(stdout);
  }
  rd_kafka_flush(producer, 5'000);
  rd_kafka_destroy(producer);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
