// redis: Redis Streams as a source (a consumer group, entries acknowledged
// only after the destinations committed them) and as a destination (XADD).
// See README.md.
#include "connection.hpp"
#include "stream_reader.hpp"
#include "stream_writer.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>

#include <algorithm>
#include <set>

namespace ingestd::plugins::redis {
namespace {

using namespace ingestd::sdk;

constexpr uint32_t kSource = INGESTD_KIND_SOURCE, kDestination = INGESTD_KIND_DESTINATION;

struct Settings {
  Secret url{"redis://127.0.0.1:6379"};
  std::chrono::milliseconds timeout{10'000};
  std::vector<std::string> streams;
  std::string group;
  std::string consumer;
  std::string start = "earliest";
  std::chrono::milliseconds claim_idle{60'000};
  json::Value columns;
  std::string on_error = "fail";
  std::chrono::milliseconds max_batch_age{200};
  std::string stream = "{stream}";
  int64_t maxlen = 0;
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    using S = Settings;
    BoundOptions<S> b;
    b.add("url", &S::url, "redis://[[user]:password@]host[:port][/db] (use ${VAR} for the password)");
    b.add("timeout", &S::timeout, "How long connecting or one command may take");
    b.add("streams", &S::streams, "Stream keys to read, or glob patterns (\"events:*\"); each key is a stream")
        .required()
        .only_for(kSource);
    b.add("group", &S::group, "Consumer group (default ingestd_<flow>), made when missing").only_for(kSource);
    b.add("consumer", &S::consumer, "This consumer's name in the group (default: host name and process id)")
        .only_for(kSource);
    b.add("start", &S::start, "Where a group made by ingestd starts: earliest (the whole stream) or latest")
        .one_of({"earliest", "latest"})
        .only_for(kSource);
    b.add("claim_idle", &S::claim_idle,
          "Entries another consumer was given and has not acknowledged for this long are claimed (XAUTOCLAIM)")
        .only_for(kSource);
    b.add("columns", &S::columns, "Fields declared up front with types, [\"amount:float64\", \"user\"]; other "
                                  "fields become columns typed by their values")
        .only_for(kSource);
    b.add("on_error", &S::on_error,
          "An entry whose field does not fit its declared type: fail naming the entry, or skip it (entries_rejected)")
        .one_of({"fail", "skip"})
        .only_for(kSource);
    b.add("max_batch_age", &S::max_batch_age, "How long entries wait for more before a batch goes out")
        .only_for(kSource);
    b.add("stream", &S::stream, "The stream key each stream is added to; {stream} and {table} are replaced")
        .only_for(kDestination);
    b.add("maxlen", &S::maxlen, "Trim each stream to about this many entries (XADD MAXLEN ~); 0: never")
        .only_for(kDestination);
    return b;
  }();
  return o;
}

class RedisSource : public Instance {
 public:
  explicit RedisSource(const Settings& s) : patterns_(s.streams) {
    settings_.address = parse_url(s.url.value);
    settings_.timeout = s.timeout;
    settings_.group = s.group;
    settings_.consumer = s.consumer;
    settings_.start_earliest = s.start == "earliest";
    settings_.claim_idle = s.claim_idle;
    settings_.columns = kit::typing::parse_declared_columns(s.columns);
    settings_.skip_malformed = s.on_error == "skip";
    settings_.max_batch_age = s.max_batch_age;
    if (s.timeout.count() < 1) throw config_error("timeout must be longer than 0");
  }

  void check() override { Connection(settings_.address, settings_.timeout).command({"PING"}); }

  std::vector<StreamInfo> discover() override {
    Connection db(settings_.address, settings_.timeout);
    std::set<std::string> keys;
    for (const std::string& p : patterns_) {
      if (p.find_first_of("*?[") == std::string::npos) {
        if (text_of(db.command({"TYPE", p}).get()) == "stream") keys.insert(p);
        continue;
      }
      std::string cursor = "0";
      do {
        Reply r = db.command({"SCAN", cursor, "MATCH", p, "COUNT", "1000", "TYPE", "stream"});
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) break;
        cursor = text_of(r->element[0]);
        for (size_t i = 0; i < r->element[1]->elements; ++i) keys.insert(text_of(r->element[1]->element[i]));
      } while (cursor != "0");
    }
    std::vector<StreamInfo> out;
    for (const std::string& key : keys) {
      StreamInfo si;
      si.name = key;
      kit::typing::ColumnSet columns(settings_.columns);
      columns.add("_redis_id");
      columns.add_declared();
      si.schema = columns.schema();
      si.primary_key = {"_redis_id"};
      si.extract_modes = INGESTD_EXTRACT_INCREMENTAL_APPENDS;
      si.continuous = true;
      out.push_back(std::move(si));
    }
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    return open_stream_reader(settings_, r, *this);
  }

 private:
  SourceSettings settings_;
  std::vector<std::string> patterns_;
};

class RedisDestination : public Instance {
 public:
  explicit RedisDestination(const Settings& s) {
    settings_.address = parse_url(s.url.value);
    settings_.timeout = s.timeout;
    settings_.stream = s.stream;
    settings_.maxlen = s.maxlen;
    if (s.maxlen < 0) throw config_error("maxlen must be 0 (never trim) or more");
  }

  void check() override { Connection(settings_.address, settings_.timeout).command({"PING"}); }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override { return open_stream_writer(settings_, r); }

 private:
  DestinationSettings settings_;
};

PluginInfo describe() {
  PluginInfo p{.name = "redis", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "Redis Streams: read through a consumer group, acknowledged only after the "
                              "destinations committed; XADD as a destination",
               .extract_modes = INGESTD_EXTRACT_INCREMENTAL_APPENDS,
               .load_modes = INGESTD_LOAD_APPEND};
  p.source_acks = true;  // XACK only once saved
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const Settings s = options().bind(ctx);
  if (ctx.role == kSource) return std::make_unique<RedisSource>(s);
  return std::make_unique<RedisDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::redis

INGESTD_PLUGIN(ingestd::plugins::redis::describe, ingestd::plugins::redis::create)
