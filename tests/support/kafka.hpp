// A Kafka cluster for one test: librdkafka's mock cluster run by the
// kafka-mock-cluster helper (the Kafka protocol over TCP on 127.0.0.1),
// stopped when the object goes. Commands as the helper documents them.
#pragma once

#include <map>
#include <string>

namespace testing {

class KafkaCluster {
 public:
  explicit KafkaCluster(int brokers = 3);
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  // One command; its answer without "ok " (a failed command throws).
  std::string command(const std::string& line);

  void create(const std::string& topic, int partitions) { command("create " + topic + " " + std::to_string(partitions)); }
  // `count` JSON messages {"id", "name", "amount"} with ids from `first`, keyed "k<id>".
  void produce(const std::string& topic, long count, long first = 1);
  // The group's committed offsets by partition (negative: none).
  std::map<int, long> committed(const std::string& group, const std::string& topic);

 private:
  int pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string bootstrap_;
  std::string buffer_;
  std::string read_line(double seconds);
};

// The helper binary.
std::string kafka_mock_cluster_bin();

}  // namespace testing
