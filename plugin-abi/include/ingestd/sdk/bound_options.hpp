// Options bound to the members that receive them: an option is declared once,
// by naming its member, and its default is the member's initial value.
//
//   struct Settings { int64_t page_size = 100; std::chrono::milliseconds wait{30000}; };
//   BoundOptions<Settings> o;
//   o.add("page_size", &Settings::page_size, "Records per request");
//   o.add("wait", &Settings::wait, "How long to wait");        // default "30s"
//   Settings s = o.bind(context);
//
// The member's type gives the option's type: std::string, int64_t, int, double,
// bool, std::vector<std::string>, std::chrono::milliseconds (a duration),
// Bytes (a size), std::filesystem::path (resolved against the flow file's
// folder), json::Value (any JSON, as written) and Secret.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::sdk {

// A secret option's value: the host keeps it out of every log, error and report.
struct Secret {
  std::string value;
};

// A size in bytes ("64MiB", "10MB" or a number of bytes in the flow file).
struct Bytes {
  int64_t value = 0;
};

namespace detail {

template <class T>
struct OptionTraits;

template <>
struct OptionTraits<std::string> {
  static constexpr uint32_t type = INGESTD_OPTION_STRING;
  static std::optional<std::string> default_text(const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  }
  static void read(const json::Value& v, const CreateContext&, std::string& out) { out = v.as_string(); }
};

template <>
struct OptionTraits<int64_t> {
  static constexpr uint32_t type = INGESTD_OPTION_INT;
  static std::optional<std::string> default_text(int64_t v) { return std::to_string(v); }
  static void read(const json::Value& v, const CreateContext&, int64_t& out) { out = v.as_int(); }
};

template <>
struct OptionTraits<int> {
  static constexpr uint32_t type = INGESTD_OPTION_INT;
  static std::optional<std::string> default_text(int v) { return std::to_string(v); }
  static void read(const json::Value& v, const CreateContext& c, int& out) {
    int64_t wide = v.as_int();
    if (wide < INT32_MIN || wide > INT32_MAX)
      throw config_error("option value " + std::to_string(wide) + " is out of range" + (c.name.empty() ? "" : " for " + c.name));
    out = static_cast<int>(wide);
  }
};

template <>
struct OptionTraits<double> {
  static constexpr uint32_t type = INGESTD_OPTION_DOUBLE;
  static std::optional<std::string> default_text(double v) {
    std::string out;
    json::write_double(out, v);
    return out;
  }
  static void read(const json::Value& v, const CreateContext&, double& out) { out = v.as_double(); }
};

template <>
struct OptionTraits<bool> {
  static constexpr uint32_t type = INGESTD_OPTION_BOOL;
  static std::optional<std::string> default_text(bool v) { return v ? "true" : "false"; }
  static void read(const json::Value& v, const CreateContext&, bool& out) { out = v.as_bool(); }
};

template <>
struct OptionTraits<std::vector<std::string>> {
  static constexpr uint32_t type = INGESTD_OPTION_LIST;
  static std::optional<std::string> default_text(const std::vector<std::string>& v) {
    if (v.empty()) return std::nullopt;
    json::Array a;
    for (const auto& s : v) a.push_back(json::Value(s));
    return json::Value(std::move(a)).dump();
  }
  static void read(const json::Value& v, const CreateContext&, std::vector<std::string>& out) {
    out.clear();
    for (const auto& e : v.as_array()) out.push_back(e.as_string());
  }
};

template <>
struct OptionTraits<std::chrono::milliseconds> {
  static constexpr uint32_t type = INGESTD_OPTION_DURATION;
  static std::optional<std::string> default_text(std::chrono::milliseconds v) {
    int64_t ms = v.count();
    if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
    if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
  }
  static void read(const json::Value& v, const CreateContext&, std::chrono::milliseconds& out) {
    out = std::chrono::milliseconds(v.as_int());
  }
};

template <>
struct OptionTraits<Bytes> {
  static constexpr uint32_t type = INGESTD_OPTION_SIZE;
  static std::optional<std::string> default_text(Bytes v) {
    const int64_t b = v.value;
    if (b != 0 && b % (int64_t{1} << 30) == 0) return std::to_string(b >> 30) + "GiB";
    if (b != 0 && b % (int64_t{1} << 20) == 0) return std::to_string(b >> 20) + "MiB";
    if (b != 0 && b % (int64_t{1} << 10) == 0) return std::to_string(b >> 10) + "KiB";
    return std::to_string(b);
  }
  static void read(const json::Value& v, const CreateContext&, Bytes& out) { out.value = v.as_int(); }
};

template <>
struct OptionTraits<std::filesystem::path> {
  static constexpr uint32_t type = INGESTD_OPTION_STRING;
  static std::optional<std::string> default_text(const std::filesystem::path& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v.string());
  }
  static void read(const json::Value& v, const CreateContext& c, std::filesystem::path& out) {
    out = c.resolve_path(v.as_string());
  }
};

// Any JSON value (columns declared as a list of "name:type", a mapping...),
// handed over as written.
template <>
struct OptionTraits<json::Value> {
  static constexpr uint32_t type = INGESTD_OPTION_JSON;
  static std::optional<std::string> default_text(const json::Value& v) {
    return v.is_null() ? std::nullopt : std::optional<std::string>(v.dump());
  }
  static void read(const json::Value& v, const CreateContext&, json::Value& out) { out = v; }
};

template <>
struct OptionTraits<Secret> {
  static constexpr uint32_t type = INGESTD_OPTION_SECRET;
  static std::optional<std::string> default_text(const Secret&) { return std::nullopt; }
  static void read(const json::Value& v, const CreateContext&, Secret& out) { out.value = v.as_string(); }
};

}  // namespace detail

template <class P>
class BoundOptions {
 public:
  // Declares option `name`, received by `member`. The reference is for
  // chaining (.required(), .one_of(...), .only_for(...)) in the same statement.
  template <class T>
  OptionSpec& add(std::string name, T P::*member, std::string description) {
    using Traits = detail::OptionTraits<T>;
    OptionSpec spec = option(name, Traits::type, std::move(description));
    if (auto text = Traits::default_text(defaults().*member)) spec.default_to(*text);
    specs_.push_back(std::move(spec));
    setters_.push_back([name = std::move(name), member](P& p, const CreateContext& c) {
      const json::Value& v = c.options.get(name);
      if (!v.is_null()) Traits::read(v, c, p.*member);
    });
    return specs_.back();
  }

  std::vector<OptionSpec> specs() const { return {specs_.begin(), specs_.end()}; }

  // Sets every bound member of `p` that the options give.
  void apply(P& p, const CreateContext& c) const {
    for (const auto& set : setters_) set(p, c);
  }
  P bind(const CreateContext& c) const {
    P p{};
    apply(p, c);
    return p;
  }
  // From options alone (a kit reading its share of a plugin's options);
  // relative paths stay relative.
  P bind(const Options& options) const {
    CreateContext c;
    c.options = options;
    return bind(c);
  }

 private:
  static const P& defaults() {
    static const P d{};
    return d;
  }

  std::deque<OptionSpec> specs_;  // a deque: references handed out stay valid
  std::vector<std::function<void(P&, const CreateContext&)>> setters_;
};

}  // namespace ingestd::sdk
