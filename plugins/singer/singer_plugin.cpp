// singer: runs a Singer tap as a child process, one run per stream with only
// that stream selected, and passes the last committed STATE back with --state.
// See README.md.
#include "catalog.hpp"
#include "tap_stream.hpp"

#include <ingestd/kit/child/connector.hpp>
#include <ingestd/kit/child/private_file.hpp>

#include <fstream>
#include <mutex>
#include <sstream>

namespace ingestd::plugins::singer {
namespace {

using namespace ingestd::sdk;
using ingestd::kit::child::Connector;
using ingestd::kit::child::PrivateFile;

class SingerSource : public Instance {
 public:
  explicit SingerSource(const CreateContext& ctx)
      : connector_(Connector::from_options(ctx)),
        host_(ctx.host),
        catalog_path_(ctx.options.has("catalog") ? ctx.resolve_path(ctx.options.string("catalog")) : "") {}

  void check() override { catalog(); }

  std::vector<StreamInfo> discover() override { return catalog().stream_infos(); }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    // The stream's entry as a discover gave it (kept by the host), else the tap's catalog now.
    std::unique_ptr<Catalog> kept = kept_entry(r);
    const Catalog& c = kept ? *kept : catalog();
    const ingestd::json::Value* entry = c.find(r.stream);
    if (!entry) {
      std::string names;
      for (const auto& n : c.names()) names += (names.empty() ? "" : ", ") + n;
      throw config_error("the tap has no stream '" + r.stream + "' (its streams: " + names + ")");
    }
    auto run = std::make_unique<TapRun>();
    run->connector = &connector_;
    run->stream = stream_name(*entry);
    run->incremental = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT;
    run->catalog_json = c.selecting(run->stream, run->incremental, r.cursor_field);
    for (const auto& s : c.stream_infos())
      if (s.name == run->stream) run->catalog_fields = s.schema.fields;
    std::lock_guard lock(mutex_);
    runs_.push_back(std::move(run));
    return open_tap_stream(*runs_.back(), r, *this);
  }

 private:
  // A catalog of the one entry the host kept for the stream, when it is
  // that stream's and the flow gives no catalog file (which always wins).
  std::unique_ptr<Catalog> kept_entry(const StreamRequest& r) const {
    if (r.settings.catalog_entry.empty() || !catalog_path_.empty()) return nullptr;
    try {
      ingestd::json::Value entry = ingestd::json::Value::parse(r.settings.catalog_entry);
      if (!entry.is_object() || stream_name(entry) != r.stream) return nullptr;
      ingestd::json::Object wrapper;
      wrapper.set("streams", ingestd::json::Value(ingestd::json::Array{std::move(entry)}));
      return std::make_unique<Catalog>(ingestd::json::Value(std::move(wrapper)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  // The catalog file, or what `tap --discover` printed (asked once).
  const Catalog& catalog() {
    std::lock_guard lock(mutex_);
    if (catalog_) return *catalog_;
    catalog_ = std::make_unique<Catalog>(catalog_path_.empty() ? discovered() : from_file());
    return *catalog_;
  }

  ingestd::json::Value from_file() const {
    std::ifstream in(catalog_path_);
    if (!in) throw config_error("catalog: cannot read " + catalog_path_);
    std::stringstream text;
    text << in.rdbuf();
    try {
      return ingestd::json::Value::parse(text.str());
    } catch (const std::exception& e) {
      throw config_error("catalog " + catalog_path_ + " is not JSON: " + e.what());
    }
  }

  ingestd::json::Value discovered() const {
    PrivateFile config("config", connector_.config.dump());
    std::string out;
    const std::string failed = connector_.run_to_end(
        {"--config", config.path(), "--discover"}, host_, *this, [&](const std::string& line) { out += line + "\n"; },
        "the tap's --discover");
    if (!failed.empty()) throw config_error(failed);
    try {
      return ingestd::json::Value::parse(out);
    } catch (const std::exception& e) {
      throw config_error(connector_.redact("the tap's --discover printed no JSON catalog (" + std::string(e.what()) +
                                           "); give one with the catalog option"));
    }
  }

  Connector connector_;
  Host host_;
  std::string catalog_path_;
  std::mutex mutex_;
  std::unique_ptr<Catalog> catalog_;
  std::vector<std::unique_ptr<TapRun>> runs_;  // alive as long as their streams
};

PluginInfo describe() {
  PluginInfo p{.name = "singer", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "Runs a Singer tap; its STATE is saved as batches commit and passed back with --state",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES};
  p.options = ingestd::kit::child::connector_options();
  p.options.push_back(option("catalog", INGESTD_OPTION_STRING, "A catalog file; without one the tap's --discover is run"));
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<SingerSource>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::singer

INGESTD_PLUGIN(ingestd::plugins::singer::describe, ingestd::plugins::singer::create)
