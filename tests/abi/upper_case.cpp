// A third-party transform on the C++ SDK's BatchTransformer: upper-cases the
// ASCII letters of the string columns it is told, passes every other column
// on untouched (shared, not copied), and refuses a column the stream lacks.
#include <ingestd/sdk.hpp>

#include <cctype>

namespace {

using namespace ingestd::sdk;

struct UpperCase : BatchTransformer {
  std::vector<std::string> columns;

  static void declare(Declaration<UpperCase>& d) {
    d.plugin("upper_case", "0.1.0", "Upper-cases the letters of string columns");
    d.option("columns", &UpperCase::columns, "The string columns to upper-case").required();
  }

  Schema schema;
  std::vector<bool> change;

  Schema reshape(const Schema& input) override {
    schema = input;
    change.assign(input.size(), false);
    if (input.fields.empty()) return input;
    for (const auto& name : columns) {
      const int i = input.index_of(name);
      if (i < 0) throw config_error("upper_case: no column '" + name + "'");
      if (!input[static_cast<std::size_t>(i)].type.is_string_like())
        throw config_error("upper_case: column '" + name + "' is not a string");
      change[static_cast<std::size_t>(i)] = true;
    }
    return input;
  }

  OwnedArray apply(OwnedArray batch) override {
    SharedBatch in(std::move(batch));
    std::vector<OwnedArray> out;
    for (std::size_t i = 0; i < in.column_count(); ++i) {
      if (!change[i]) {
        out.push_back(in.column(i));
        continue;
      }
      ColumnReader from(in.array().children[i], schema[i].type, in.array().offset);
      ColumnBuilder to(schema[i].type);
      std::string value;
      for (int64_t r = 0; r < in.rows(); ++r) {
        if (from.is_null(r)) {
          to.append_null();
          continue;
        }
        value = from.string_value(r);
        for (char& c : value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        to.append_string(value);
      }
      ArrowArray a;
      to.finish(&a);
      out.push_back(OwnedArray(&a));
    }
    return struct_of(std::move(out), in.rows());
  }
};

}  // namespace

INGESTD_PLUGIN_CLASS(UpperCase)
