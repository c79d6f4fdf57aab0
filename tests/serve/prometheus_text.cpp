#include "serve/prometheus_text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>

namespace testing {

namespace {

bool name_char(char c, bool first, bool colon) {
  const bool alpha = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (colon && c == ':');
  return first ? alpha : alpha || std::isdigit(static_cast<unsigned char>(c));
}

bool valid_name(const std::string& s, bool colon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0, colon)) return false;
  return true;
}

double number(const std::string& s) {
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') throw std::invalid_argument("'" + s + "' is not a number");
  return v;
}

// The family a sample belongs to: histogram samples carry suffixes.
std::string family_of(const std::string& sample, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      const std::string base = sample.substr(0, sample.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return sample;
}

}  // namespace

Exposition Exposition::parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  int number_of_line = 0;
  std::set<std::string> helped;
  std::string current;  // the family whose samples are being read
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("line " + std::to_string(number_of_line) + ": " + why + ": " + line);
  };
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("the exposition does not end with a newline");
  while (std::getline(in, line)) {
    ++number_of_line;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
      if (!valid_name(name, true)) fail("a malformed metric name");
      if (keyword == "HELP") {
        if (!helped.insert(name).second) fail("a second HELP");
        continue;
      }
      std::string type;
      words >> type;
      static const std::set<std::string> kinds = {"counter", "gauge", "histogram", "summary", "untyped"};
      if (!kinds.count(type)) fail("an unknown TYPE");
      if (e.types_.count(name)) fail("a second TYPE");
      e.types_[name] = type;
      current = name;
      continue;
    }
    // name{label="value",...} value [timestamp]
    std::size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0, true)) ++i;
    const std::string name = line.substr(0, i);
    if (!valid_name(name, true)) fail("a malformed metric name");
    const std::string family = family_of(name, e.types_);
    if (!e.types_.count(family)) fail("a sample before its family's TYPE");
    if (family != current) fail("a family's samples are not together");
    Labels labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t start = i;
        while (i < line.size() && name_char(line[i], i == start, false)) ++i;
        const std::string label = line.substr(start, i - start);
        if (!valid_name(label, false)) fail("a malformed label name");
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') fail("a label without =\"");
        i += 2;
        std::string value;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] != '\\') {
            value += line[i];
            continue;
          }
          if (++i >= line.size()) fail("a label value cut short");
          if (line[i] == 'n') value += '\n';
          else if (line[i] == '\\' || line[i] == '"') value += line[i];
          else fail("an escape other than \\\\, \\\" or \\n");
        }
        if (i >= line.size()) fail("an unterminated label value");
        ++i;  // the closing quote
        if (!labels.emplace(label, value).second) fail("a label given twice");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) fail("an unterminated label set");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') fail("no space before the value");
    std::istringstream rest(line.substr(i + 1));
    std::string value_text, timestamp, extra;
    rest >> value_text >> timestamp >> extra;
    if (!extra.empty()) fail("more than a value and a timestamp");
    double value = 0;
    try {
      value = number(value_text);
    } catch (const std::invalid_argument& x) {
      fail(x.what());
    }
    if (e.types_[family] == "counter" && !(value >= 0)) fail("a counter below zero");
    if (!e.samples_.emplace(std::make_pair(name, labels), value).second) fail("a duplicate series");
  }
  // Histograms: cumulative buckets, +Inf equal to _count.
  for (const auto& [family, type] : e.types_) {
    if (type != "histogram") continue;
    std::map<Labels, std::vector<std::pair<double, double>>> buckets;  // by labels without le
    for (const auto& [key, value] : e.samples_) {
      if (key.first != family + "_bucket") continue;
      Labels rest = key.second;
      auto le = rest.find("le");
      if (le == rest.end()) throw std::runtime_error(family + "_bucket without le");
      const double bound = number(le->second);
      rest.erase(le);
      buckets[rest].push_back({bound, value});
    }
    for (auto& [labels, list] : buckets) {
      std::sort(list.begin(), list.end());
      for (std::size_t k = 1; k < list.size(); ++k)
        if (list[k].second < list[k - 1].second) throw std::runtime_error(family + ": buckets are not cumulative");
      if (list.empty() || !std::isinf(list.back().first)) throw std::runtime_error(family + ": no +Inf bucket");
      auto count = e.samples_.find({family + "_count", labels});
      if (count == e.samples_.end() || count->second != list.back().second)
        throw std::runtime_error(family + ": the +Inf bucket is not _count");
      if (!e.samples_.count({family + "_sum", labels})) throw std::runtime_error(family + ": no _sum");
    }
  }
  return e;
}

std::optional<double> Exposition::value(const std::string& name, const Labels& labels) const {
  auto it = samples_.find({name, labels});
  if (it == samples_.end()) return std::nullopt;
  return it->second;
}

double Exposition::sum(const std::string& name, const Labels& subset) const {
  double total = 0;
  for (const auto& [key, value] : samples_) {
    if (key.first != name) continue;
    bool match = true;
    for (const auto& [k, v] : subset) {
      auto it = key.second.find(k);
      match = match && it != key.second.end() && it->second == v;
    }
    if (match) total += value;
  }
  return total;
}

}  // namespace testing
