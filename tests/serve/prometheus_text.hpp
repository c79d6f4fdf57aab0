// A strict reader of the Prometheus text exposition format (0.0.4), written
// for the tests from the format's specification: it refuses what a scraper
// could misread, so that /metrics is checked, not merely read.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace testing {

class Exposition {
 public:
  // Throws std::runtime_error naming the line and what is wrong: a malformed
  // name, label or value; a sample before its family's TYPE; a family's
  // samples not together; a duplicate series; a histogram whose buckets are
  // not cumulative or whose +Inf bucket is not its _count; a negative counter.
  static Exposition parse(const std::string& text);

  using Labels = std::map<std::string, std::string>;
  // The value of one series; nullopt when absent.
  std::optional<double> value(const std::string& name, const Labels& labels = {}) const;
  // The sum over every series of `name` whose labels include `subset`.
  double sum(const std::string& name, const Labels& subset = {}) const;
  // Family name -> its TYPE, for every family declared.
  const std::map<std::string, std::string>& types() const { return types_; }

 private:
  std::map<std::string, std::string> types_;
  std::map<std::pair<std::string, Labels>, double> samples_;
};

}  // namespace testing
