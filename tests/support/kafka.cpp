#include "support/kafka.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <cstring>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace testing {

std::string kafka_mock_cluster_bin() { return KAFKA_MOCK_CLUSTER_BIN; }

KafkaCluster::KafkaCluster(int brokers) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    const std::string bin = kafka_mock_cluster_bin(), n = std::to_string(brokers);
    execl(bin.c_str(), bin.c_str(), n.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_ = in[1];
  from_ = out[0];
  const std::string first = read_line(30);
  if (first.rfind("bootstrap ", 0) != 0) throw std::runtime_error("kafka-mock-cluster said: " + first);
  bootstrap_ = first.substr(10);
}

KafkaCluster::~KafkaCluster() {
  close(to_);  // end of input: the helper stops the cluster and exits
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      close(from_);
      return;
    }
    usleep(50'000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  close(from_);
}

std::string KafkaCluster::read_line(double seconds) {
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    pollfd p{from_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(seconds * 1000)) <= 0) throw std::runtime_error("kafka-mock-cluster did not answer");
    char chunk[4096];
    const ssize_t n = read(from_, chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("kafka-mock-cluster ended");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string KafkaCluster::command(const std::string& line) {
  const std::string framed = line + "\n";
  if (write(to_, framed.data(), framed.size()) != static_cast<ssize_t>(framed.size()))
    throw std::runtime_error("cannot write to kafka-mock-cluster");
  const std::string answer = read_line(180);
  if (answer.rfind("ok", 0) != 0) throw std::runtime_error("kafka-mock-cluster: " + line + ": " + answer);
  return answer.size() > 3 ? answer.substr(3) : "";
}

void KafkaCluster::produce(const std::string& topic, long count, long first) {
  command("produce " + topic + " " + std::to_string(count) + " " + std::to_string(first));
}

std::map<int, long> KafkaCluster::committed(const std::string& group, const std::string& topic) {
  std::istringstream in(command("committed " + group + " " + topic));
  std::map<int, long> out;
  std::string pair;
  while (in >> pair) {
    const auto eq = pair.find('=');
    out[std::stoi(pair.substr(0, eq))] = std::stol(pair.substr(eq + 1));
  }
  return out;
}

}  // namespace testing
