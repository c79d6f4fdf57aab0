// The floor for tools/bench/events: a bare librdkafka consumer that joins a
// group, reads every message of a topic to the end and counts them, doing
// nothing with them.
//   kafka_consume BOOTSTRAP TOPIC GROUP
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: kafka_consume BOOTSTRAP TOPIC GROUP\n");
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, const char*> settings[] = {
      {"bootstrap.servers", argv[1]}, {"group.id", argv[3]},          {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "true"}, {"enable.auto.commit", "false"}, {"log_level", "2"}};
  for (const auto& [k, v] : settings)
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      return 2;
    }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  long messages = 0, bytes = 0;
  std::set<int> ended;
  int partitions = -1;
  while (partitions < 0 || static_cast<int>(ended.size()) < partitions) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ended.insert(m->partition);
      if (partitions < 0) {
        rd_kafka_topic_partition_list_t* assigned = nullptr;
        rd_kafka_assignment(rk, &assigned);
        partitions = assigned->cnt;
        rd_kafka_topic_partition_list_destroy(assigned);
      }
    } else if (!m->err) {
      ++messages;
      bytes += static_cast<long>(m->len);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  std::printf("%ld messages, %ld bytes\n", messages, bytes);
  return 0;
}
