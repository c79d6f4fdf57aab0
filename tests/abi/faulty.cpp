// A plugin on the C++ SDK that misbehaves on request: returns errors, throws
// standard and non-standard exceptions, and logs its secret token. The host
// must report each case clearly, never crash, and never print the token.
#include <ingestd/sdk.hpp>

#include <stdexcept>

namespace {

using namespace ingestd::sdk;

struct Settings {
  std::string mode;
  std::string token;
  int64_t commits_before_failing = 0;
};

class FaultyStream : public SourceStream {
 public:
  explicit FaultyStream(Settings s) : s_(std::move(s)), builder_(schema()) {}
  Schema schema() override { return Schema{{{"x", TypeId::Int64, false}}}; }
  bool next(Batch& out) override {
    if (++batch_ > 3) return false;
    if (batch_ == 2) {
      if (s_.mode == "throw_std") throw std::runtime_error("boom from the source");
      if (s_.mode == "throw_other") throw 42;
      if (s_.mode == "data_error") throw data_error("record 15 is malformed");
    }
    for (int i = 0; i < 10; ++i) builder_.column(0).append_int((batch_ - 1) * 10 + i);
    out.array = builder_.finish();
    return true;
  }

 private:
  Settings s_;
  BatchBuilder builder_;
  int batch_ = 0;
};

class FaultyTable : public DestinationTable {
 public:
  explicit FaultyTable(Settings s) : s_(std::move(s)) {}
  int64_t commits_ = 0;
  void write(const BatchReader&) override {
    if (s_.mode == "write_error") throw io_error("disk full while writing, token " + s_.token, false);
  }
  void commit(uint64_t) override {
    if (s_.mode == "commit_error" && commits_++ >= s_.commits_before_failing)
      throw Error(INGESTD_ERROR_IO, "commit refused", INGESTD_RETRY_TRANSIENT, 1500);
  }
  void close(bool) override {}

 private:
  Settings s_;
};

class Faulty : public Instance {
 public:
  explicit Faulty(const CreateContext& ctx) {
    s_.mode = ctx.options.string("mode");
    s_.token = ctx.options.string("token");
    s_.commits_before_failing = ctx.options.integer("commits_before_failing");
    ctx.host.info("connecting with token " + s_.token);
  }
  void check() override {
    if (s_.mode == "check_error") throw config_error("authentication failed for token " + s_.token);
  }
  std::vector<StreamInfo> discover() override {
    StreamInfo s;
    s.name = "rows";
    s.schema = Schema{{{"x", TypeId::Int64, false}}};
    return {s};
  }
  std::unique_ptr<SourceStream> open_stream(const StreamRequest&) override {
    return std::make_unique<FaultyStream>(s_);
  }
  std::unique_ptr<DestinationTable> open_table(const TableRequest&) override {
    return std::make_unique<FaultyTable>(s_);
  }

 private:
  Settings s_;
};

PluginInfo describe() {
  PluginInfo p{.name = "faulty", .version = "0.0.1", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "Misbehaves on request (ABI conformance tests)",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT, .load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_MERGE};
  p.options = {
      enum_option("mode",
                  {"none", "check_error", "throw_std", "throw_other", "data_error", "write_error", "commit_error"},
                  "What to get wrong")
          .default_to("none"),
      option("commits_before_failing", INGESTD_OPTION_INT, "commit_error: commits that succeed before one fails")
          .default_to("0"),
      option("token", INGESTD_OPTION_SECRET, "A credential that must never be printed")
          .default_to("default-token-never-shown"),
  };
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<Faulty>(ctx); }

}  // namespace

INGESTD_PLUGIN(describe, create)
