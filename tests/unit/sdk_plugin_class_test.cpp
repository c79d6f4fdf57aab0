// The one-class plugin form: options bound to members, rows cut into batches
// at batch_rows with the checkpoint of their last row, mistakes named.
#include <doctest/doctest.h>

#include <ingestd/sdk.hpp>

#include <chrono>

using namespace ingestd::sdk;

namespace {

struct Numbers : RowSource {
  int64_t until = 7;
  std::string label = "n";
  bool halves = false;
  std::chrono::milliseconds pause{90000};
  std::filesystem::path file;
  std::vector<std::string> tags;
  Secret token;
  int64_t at = 0;
  int64_t short_row_at = -1;  // a test hook: the row with a missing value

  static void declare(Declaration<Numbers>& d) {
    d.plugin("numbers", "1.0.0", "Counts");
    d.option("until", &Numbers::until, "Last number").required();
    d.option("label", &Numbers::label, "The label column's value").one_of({"n", "m"});
    d.option("halves", &Numbers::halves, "Also a half");
    d.option("pause", &Numbers::pause, "A pause");
    d.option("file", &Numbers::file, "A file");
    d.option("tags", &Numbers::tags, "Tags");
    d.option("token", &Numbers::token, "A token");
    d.option("short_row_at", &Numbers::short_row_at, "Leaves out a value at this number");
    d.stream("numbers", {{{"n", TypeId::Int64, false}, {"label", TypeId::Utf8, false}}}).key({"n"}).cursor("n");
  }
  void open(const StreamRequest& r) override {
    if (r.state) at = std::stoll(*r.state);
  }
  bool next_row(Row& row) override {
    if (at == until) return false;
    row << ++at;
    if (at != short_row_at) row << label;
    return true;
  }
  std::optional<std::string> checkpoint() override { return std::to_string(at); }
};

CreateContext context(const std::string& options_json) {
  CreateContext c;
  c.role = INGESTD_KIND_SOURCE;
  c.options = Options(ingestd::json::Value::parse(options_json));
  c.base_dir = "/flows";
  return c;
}

const OptionSpec& spec(const PluginInfo& p, const std::string& name) {
  for (const auto& o : p.options)
    if (o.name == name) return o;
  FAIL("no option " << name);
  throw;
}

}  // namespace

TEST_CASE("plugin class: the declaration gives kinds, modes, the stream and options typed by their members") {
  PluginInfo p = detail::declaration<Numbers>().info();
  CHECK(p.name == "numbers");
  CHECK(p.kinds == INGESTD_KIND_SOURCE);
  CHECK(p.extract_modes == (INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS));
  CHECK(spec(p, "until").type == INGESTD_OPTION_INT);
  CHECK(spec(p, "until").required_);
  CHECK_FALSE(spec(p, "until").default_value);  // required: the flow must say, so no default is shown
  CHECK(spec(p, "label").type == INGESTD_OPTION_ENUM);
  CHECK(spec(p, "label").enum_values == std::vector<std::string>{"n", "m"});
  CHECK(*spec(p, "halves").default_value == "false");
  CHECK(spec(p, "pause").type == INGESTD_OPTION_DURATION);
  CHECK(*spec(p, "pause").default_value == "90s");
  CHECK_FALSE(spec(p, "file").default_value);
  CHECK(spec(p, "tags").type == INGESTD_OPTION_LIST);
  CHECK(spec(p, "token").type == INGESTD_OPTION_SECRET);
  CHECK(spec(p, "token").secret_);
  auto streams = detail::create_plugin_class<Numbers>(context("{\"until\": 3}"))->discover();
  REQUIRE(streams.size() == 1);
  CHECK(streams[0].name == "numbers");
  CHECK(streams[0].primary_key == std::vector<std::string>{"n"});
  CHECK(streams[0].cursor_candidates == std::vector<std::string>{"n"});
  CHECK(streams[0].schema.size() == 2);
}

TEST_CASE("plugin class: options reach their members, and paths resolve against the flow file's folder") {
  auto n = detail::declaration<Numbers>().configure(context(
      "{\"until\": 3, \"label\": \"m\", \"halves\": true, \"pause\": 250, \"file\": \"in/a.txt\", "
      "\"tags\": [\"x\", \"y\"], \"token\": \"t0k\"}"));
  CHECK(n->until == 3);
  CHECK(n->label == "m");
  CHECK(n->halves);
  CHECK(n->pause == std::chrono::milliseconds(250));
  CHECK(n->file == "/flows/in/a.txt");
  CHECK(n->tags == std::vector<std::string>{"x", "y"});
  CHECK(n->token.value == "t0k");
  auto defaults = detail::declaration<Numbers>().configure(context("{}"));
  CHECK(defaults->until == 7);
  CHECK(defaults->label == "n");
}

TEST_CASE("plugin class: rows are cut at batch_rows, each batch carrying the checkpoint of its last row") {
  auto instance = detail::create_plugin_class<Numbers>(context("{\"until\": 10}"));
  StreamRequest r;
  r.stream = "numbers";
  r.batch_rows = 4;
  r.state = "1";  // resumes after 1
  auto stream = instance->open_stream(r);
  const Schema schema = stream->schema();
  std::vector<int64_t> sizes;
  std::vector<std::string> checkpoints;
  std::vector<int64_t> values;
  Batch b;
  while (stream->next(b)) {
    BatchReader reader(*b.array.get(), schema);
    sizes.push_back(reader.rows());
    for (int64_t i = 0; i < reader.rows(); ++i) values.push_back(reader.column(0).int_value(i));
    checkpoints.push_back(b.checkpoint.value_or("none"));
    b = Batch{};
  }
  CHECK(sizes == std::vector<int64_t>{4, 4, 1});
  CHECK(checkpoints == std::vector<std::string>{"5", "9", "10"});
  CHECK(values == std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK_FALSE(stream->next(b));

  // Each stream starts from a fresh, configured object.
  StreamRequest again;
  again.stream = "numbers";
  auto second = instance->open_stream(again);
  REQUIRE(second->next(b));
  CHECK(BatchReader(*b.array.get(), schema).column(0).int_value(0) == 1);
}

TEST_CASE("plugin class: a row with a value missing, or an unknown stream, is an error naming it") {
  auto instance = detail::create_plugin_class<Numbers>(context("{\"until\": 10, \"short_row_at\": 3}"));
  StreamRequest r;
  r.stream = "numbers";
  auto stream = instance->open_stream(r);
  Batch b;
  try {
    stream->next(b);
    FAIL("a short row was accepted");
  } catch (const Error& e) {
    CHECK(e.status() == INGESTD_ERROR_DATA);
    CHECK(std::string(e.what()) == "a row has 1 values; the stream has 2 columns");
  }
  r.stream = "other";
  try {
    instance->open_stream(r);
    FAIL("an unknown stream was opened");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "no stream 'other' (this source has 'numbers')");
  }
}
