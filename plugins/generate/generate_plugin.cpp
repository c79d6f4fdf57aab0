// The generate source: deterministic synthetic rows for tests and benchmarks.
// The same (seed, row, column) always gives the same value, so two runs, or a
// run and a rerun after a crash, produce identical data.
#include <ingestd/sdk.hpp>

#include <charconv>

namespace ingestd::plugins::generate {
namespace {

using namespace ingestd::sdk;
namespace json = ingestd::json;

// splitmix64: a fast, well-mixed hash of a 64-bit input.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Column 0 is the key; the others cycle through these types.
const TypeId kCycle[] = {TypeId::Int64, TypeId::Float64, TypeId::Utf8,  TypeId::Bool,
                         TypeId::TimestampUs, TypeId::Date32, TypeId::Utf8};

Schema make_schema(int64_t columns) {
  Schema s;
  s.fields.push_back({"id", TypeId::Int64, false});
  for (int64_t c = 1; c < columns; ++c) {
    DataType t = kCycle[(c - 1) % (sizeof kCycle / sizeof kCycle[0])];
    s.fields.push_back({"c" + std::to_string(c) + "_" + t.name(), t, true});
  }
  return s;
}

// The options, each declared once in options() below.
struct Settings {
  int64_t rows = 1000000;
  int64_t columns = 8;
  int64_t seed = 42;
  int64_t null_percent = 0;
  int64_t streams = 1;
  std::string stream = "generated";
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    BoundOptions<Settings> b;
    b.add("rows", &Settings::rows, "Rows per stream (ids 1..rows)");
    b.add("columns", &Settings::columns,
          "Columns per row: 'id' then int64, float64, string, bool, timestamp, date, string, repeating");
    b.add("seed", &Settings::seed, "Seed: the same seed gives the same data");
    b.add("null_percent", &Settings::null_percent, "Share of NULL values in non-key columns, 0-100");
    b.add("streams", &Settings::streams, "Number of streams (named STREAM_0, STREAM_1, ... when more than one)");
    b.add("stream", &Settings::stream, "Stream name");
    return b;
  }();
  return o;
}

class GenerateStream : public SourceStream {
 public:
  GenerateStream(const Settings& s, uint64_t stream_salt, int64_t first_id, int64_t batch_rows, bool checkpoints,
                 const Instance& owner, Host host)
      : s_(s), salt_(stream_salt), next_id_(first_id), batch_rows_(batch_rows), checkpoints_(checkpoints),
        owner_(owner), host_(std::move(host)), schema_(make_schema(s.columns)), builder_(schema_) {}

  Schema schema() override { return schema_; }

  bool next(Batch& out) override {
    if (next_id_ > s_.rows) return false;
    if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
    int64_t last = std::min(s_.rows, next_id_ + batch_rows_ - 1);
    builder_.reserve(last - next_id_ + 1);
    for (int64_t id = next_id_; id <= last; ++id) append_row(id);
    out.array = builder_.finish();
    if (checkpoints_) out.checkpoint = "{\"id\":" + std::to_string(last) + "}";
    next_id_ = last + 1;
    return true;
  }

 private:
  void append_row(int64_t id) {
    builder_.column(0).append_int(id);
    for (std::size_t c = 1; c < builder_.column_count(); ++c) {
      ColumnBuilder& col = builder_.column(c);
      uint64_t h = mix(static_cast<uint64_t>(s_.seed) ^ salt_ ^ mix(static_cast<uint64_t>(id) * 1315423911ULL + c));
      if (s_.null_percent > 0 && static_cast<int64_t>(h % 100) < s_.null_percent) {
        col.append_null();
        continue;
      }
      uint64_t v = h >> 8;
      switch (col.type().id) {
        case TypeId::Int64: col.append_int(static_cast<int64_t>(v % 2000000001) - 1000000000); break;
        case TypeId::Float64: col.append_double(static_cast<double>(v % 100000000) / 1000.0); break;
        case TypeId::Bool: col.append_bool(v & 1); break;
        // 2000-01-01 plus up to ~30 years, to the microsecond.
        case TypeId::TimestampUs: col.append_int(946684800000000LL + static_cast<int64_t>(v % 946080000000000ULL)); break;
        case TypeId::Date32: col.append_int(10957 + static_cast<int64_t>(v % 10950)); break;
        default: append_text(col, v); break;
      }
    }
  }

  // Lower-case words of 8 to 23 letters; no allocation.
  static void append_text(ColumnBuilder& col, uint64_t v) {
    char buf[24];
    std::size_t len = 8 + v % 16;
    uint64_t bits = mix(v);
    for (std::size_t i = 0; i < len; ++i) {
      buf[i] = static_cast<char>('a' + bits % 26);
      bits = bits / 26 ? bits / 26 : mix(bits + i);
    }
    col.append_string(std::string_view(buf, len));
  }

  Settings s_;
  uint64_t salt_;
  int64_t next_id_;
  int64_t batch_rows_;
  bool checkpoints_;
  const Instance& owner_;
  Host host_;
  Schema schema_;
  BatchBuilder builder_;
};

class GenerateInstance : public Instance {
 public:
  explicit GenerateInstance(const CreateContext& ctx) : s_(options().bind(ctx)) {
    if (s_.rows < 0) throw config_error("rows must not be negative");
    if (s_.columns < 1 || s_.columns > 1000) throw config_error("columns must be between 1 and 1000");
    if (s_.null_percent < 0 || s_.null_percent > 100) throw config_error("null_percent must be between 0 and 100");
    if (s_.streams < 1 || s_.streams > 1000) throw config_error("streams must be between 1 and 1000");
  }

  std::vector<StreamInfo> discover() override {
    std::vector<StreamInfo> out;
    for (int64_t i = 0; i < s_.streams; ++i) {
      StreamInfo si;
      si.name = stream_name(i);
      si.schema = make_schema(s_.columns);
      si.primary_key = {"id"};
      si.cursor_candidates = {"id"};
      out.push_back(std::move(si));
    }
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    int64_t index = -1;
    for (int64_t i = 0; i < s_.streams; ++i)
      if (stream_name(i) == r.stream) index = i;
    if (index < 0) throw config_error("no stream '" + r.stream + "'");
    bool incremental = r.extract_mode == INGESTD_EXTRACT_INCREMENTAL_APPENDS;
    if (incremental && !r.cursor_field.empty() && r.cursor_field != "id")
      throw config_error("the generate source's only cursor is 'id', not '" + r.cursor_field + "'");
    int64_t first = 1;
    if (incremental && r.state) {
      json::Value state = json::Value::parse(*r.state);
      if (!state["id"].is_int()) throw Error(INGESTD_ERROR_INVALID_ARGUMENT, "stored state has no integer 'id'");
      first = state["id"].as_int() + 1;
    }
    return std::make_unique<GenerateStream>(s_, static_cast<uint64_t>(index) * 0x51ed27ULL, first, r.batch_rows,
                                            incremental, *this, r.host);
  }

 private:
  std::string stream_name(int64_t i) const {
    return s_.streams == 1 ? s_.stream : s_.stream + "_" + std::to_string(i);
  }

  Settings s_;
};

PluginInfo describe() {
  PluginInfo p{.name = "generate", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "Deterministic synthetic rows for tests and benchmarks",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS};
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<GenerateInstance>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::generate

INGESTD_PLUGIN(ingestd::plugins::generate::describe, ingestd::plugins::generate::create)
