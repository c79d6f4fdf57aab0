#include <doctest/doctest.h>

#include "config/option_validation.hpp"
#include "support/files.hpp"

#include <cstdlib>

using namespace ingestd;
using testing::TempDir;

namespace {

PluginDescriptor descriptor() {
  PluginDescriptor d;
  d.name = "demo";
  d.kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION;
  auto opt = [](std::string name, uint32_t type) {
    OptionInfo o;
    o.name = std::move(name);
    o.type = type;
    return o;
  };
  OptionInfo path = opt("path", INGESTD_OPTION_STRING);
  path.required = true;
  OptionInfo mode = opt("mode", INGESTD_OPTION_ENUM);
  mode.enum_values = {"fast", "safe"};
  mode.default_value = "safe";
  OptionInfo size = opt("buffer", INGESTD_OPTION_SIZE);
  size.default_value = "1MiB";
  OptionInfo timeout = opt("timeout", INGESTD_OPTION_DURATION);
  OptionInfo password = opt("password", INGESTD_OPTION_SECRET);
  password.secret = true;
  OptionInfo tags = opt("tags", INGESTD_OPTION_LIST);
  OptionInfo columns = opt("columns", INGESTD_OPTION_JSON);
  columns.kinds = INGESTD_KIND_SOURCE;
  OptionInfo retries = opt("retries", INGESTD_OPTION_INT);
  d.options = {path, mode, size, timeout, password, tags, columns, retries};
  return d;
}

struct Loaded {
  TempDir dir;
  FlowFile file;
};

void load(Loaded& l, const std::string& config) {
  testing::write_file(l.dir / "f.toml", "[sources.s]\nplugin = \"demo\"\nconfig = { " + config +
                                            " }\n[destinations.d]\nplugin=\"demo\"\n"
                                            "[[flows]]\nname=\"f\"\nfrom=\"s\"\nto=\"d\"\n");
  l.file = load_flow_file(l.dir / "f.toml");
}

std::string error_of(const std::string& config, uint32_t role = INGESTD_KIND_SOURCE) {
  Loaded l;
  load(l, config);
  try {
    validate_config(l.file.sources[0], "sources", descriptor(), role);
  } catch (const ConfigError& e) {
    std::string m = e.what();
    return m.substr(m.find("f.toml"));
  }
  return "";
}

}  // namespace

TEST_CASE("options: values are normalised, defaults applied, secrets collected") {
  setenv("INGESTD_TEST_PASSWORD", "s3cr3t-value", 1);
  Loaded l;
  load(l, "path = \"data.csv\", timeout = \"1m30s\", password = \"${INGESTD_TEST_PASSWORD}\", tags = \"one\", "
          "columns = [{ name = \"id\", type = \"int64\" }], retries = \"3\"");
  ValidatedConfig c = validate_config(l.file.sources[0], "sources", descriptor(), INGESTD_KIND_SOURCE);
  const auto& o = c.options;
  CHECK(o["path"].as_string() == "data.csv");
  CHECK(o["mode"].as_string() == "safe");
  CHECK(o["buffer"].as_int() == 1 << 20);
  CHECK(o["timeout"].as_int() == 90000);
  CHECK(o["password"].as_string() == "s3cr3t-value");
  CHECK(o["tags"].dump() == "[\"one\"]");
  CHECK(o["columns"].dump() == "[{\"name\":\"id\",\"type\":\"int64\"}]");
  CHECK(o["retries"].as_int() == 3);
  CHECK(c.secrets == std::vector<std::string>{"s3cr3t-value"});
}

TEST_CASE("options: each mistake names the key, its location and what is valid") {
  CHECK(error_of("path = \"x\", colour = \"red\"") ==
        "f.toml:3:24: sources.s.config.colour: unknown option for plugin 'demo' as a source (valid options: path, "
        "mode, buffer, timeout, password, tags, columns, retries)");
  CHECK(error_of("path = \"x\", mode = \"turbo\"") ==
        "f.toml:3:24: sources.s.config.mode: invalid value 'turbo' (valid: fast, safe)");
  CHECK(error_of("path = 5") == "f.toml:3:12: sources.s.config.path: expected a string, found an integer");
  CHECK(error_of("mode = \"fast\"") ==
        "f.toml:3:10: sources.s.config.path: missing required option (string): ");
  CHECK(testing::contains(error_of("path = \"x\", buffer = \"huge\""), "sources.s.config.buffer: expected a size"));
  CHECK(testing::contains(error_of("path = \"x\", timeout = \"later\""), "expected a duration"));
  CHECK(testing::contains(error_of("path = \"x\", retries = 1.5"), "expected an integer, found a float"));
  CHECK(testing::contains(error_of("path = \"x\", columns = []", INGESTD_KIND_DESTINATION),
                          "(it applies to sources only)"));
  unsetenv("INGESTD_TEST_UNSET");
  CHECK(testing::contains(error_of("path = \"${INGESTD_TEST_UNSET}\""),
                          "f.toml:3:12: sources.s.config.path: environment variable INGESTD_TEST_UNSET is not set"));
}
