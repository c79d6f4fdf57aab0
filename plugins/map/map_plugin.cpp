// The map transform: select, drop, rename, cast, hash, mask, set and filter,
// applied in that order to every batch of a stream. Columns nothing changes
// pass through without a copy.
#include "cast.hpp"
#include "filter.hpp"
#include "salted_hash.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/transform.hpp>
#include <ingestd/sdk/values.hpp>

#include <fnmatch.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace ingestd::plugins::map {
namespace {

using namespace ingestd::sdk;

bool is_glob(const std::string& p) { return p.find_first_of("*?[") != std::string::npos; }
bool matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}
// Columns ingestd itself adds or reads (_ingestd_deleted) are never selected away.
bool reserved(const std::string& name) { return name.rfind("_ingestd_", 0) == 0; }

struct Column {
  enum Op { Pass, Cast, Hash, Mask, Set } op = Pass;
  std::string name;
  DataType type;
  int input = -1;      // the input column it comes from (not Set)
  int64_t keep = 0;    // Mask: trailing characters kept
  json::Value value;   // Set: the constant
};

std::string names(const std::vector<Column>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c.name;
  return out.empty() ? "none" : out;
}

struct MapTransform : BatchTransformer {
  std::vector<std::string> select;
  std::vector<std::string> drop;
  json::Value rename = json::Object{};
  json::Value cast = json::Object{};
  std::vector<std::string> hash;
  Secret salt;
  json::Value mask = json::Object{};
  json::Value set = json::Object{};
  std::string filter;
  std::string on_error = "fail";
  std::filesystem::path dead_letter = ".ingestd/dead-letter/map/{stream}.jsonl";

  static void declare(Declaration<MapTransform>& d) {
    d.plugin("map", "1.0.0", "Selects, drops, renames, casts, hashes, masks, sets columns and filters rows");
    d.option("select", &MapTransform::select, "Keep only these columns (names or globs such as \"addr_*\")");
    d.option("drop", &MapTransform::drop, "Remove these columns (names or globs)");
    d.option("rename", &MapTransform::rename, "Rename columns: { old = \"new\" }");
    d.option("cast", &MapTransform::cast, "Convert columns to a type: { signup = \"date\", age = \"int32\" }");
    d.option("hash", &MapTransform::hash, "Replace these columns by the hex SHA-256 of salt followed by the value");
    d.option("salt", &MapTransform::salt, "The secret hashed before each value (needed by hash)");
    d.option("mask", &MapTransform::mask, "Replace all but the last N characters by '*': { card = 4 }");
    d.option("set", &MapTransform::set,
             "Add or overwrite columns with a constant, \"{run_id}\", \"{sync_time}\" or \"{stream}\": "
             "{ source = \"crm\" }");
    d.option("filter", &MapTransform::filter,
             "Keep rows where this holds: comparisons (=, !=, <, <=, >, >=, in (...), is [not] null) of a column "
             "with a constant, joined by and/or/not; e.g. \"country != 'test' and age >= 18\"");
    d.option("on_error", &MapTransform::on_error, "A value cast cannot convert: fail the run, or skip its row to "
                                                  "the dead-letter file")
        .one_of({"fail", "skip"});
    d.option("dead_letter", &MapTransform::dead_letter,
             "Where skipped rows go, one JSON object per line ({stream} is the stream's name)");
  }

  // --- Options, checked once when the flow file is loaded -----------------

  std::map<std::string, std::string> renames;
  std::map<std::string, DataType> casts;
  std::map<std::string, int64_t> masks;
  Filter parsed_filter;

  void check_options() override {
    if (!rename.is_object()) throw config_error("rename: expected a table { old = \"new\" }");
    for (const auto& [from, to] : rename.as_object()) {
      if (!to.is_string() || to.as_string().empty()) throw config_error("rename." + from + ": expected a new name");
      renames[from] = to.as_string();
    }
    if (!cast.is_object()) throw config_error("cast: expected a table { column = \"type\" }");
    for (const auto& [column, type] : cast.as_object()) {
      if (!type.is_string()) throw config_error("cast." + column + ": expected a type name such as \"int64\"");
      try {
        casts[column] = DataType::from_name(type.as_string());
      } catch (const std::invalid_argument& e) {
        throw config_error("cast." + column + ": " + e.what());
      }
    }
    if (!mask.is_object()) throw config_error("mask: expected a table { column = N }");
    for (const auto& [column, keep] : mask.as_object()) {
      if (!keep.is_int() || keep.as_int() < 0)
        throw config_error("mask." + column + ": expected how many trailing characters to keep (0 or more)");
      masks[column] = keep.as_int();
    }
    if (!set.is_object()) throw config_error("set: expected a table { column = value }");
    for (const auto& [column, value] : set.as_object())
      if (!value.is_string() && !value.is_number() && !value.is_bool())
        throw config_error("set." + column + ": expected a string, a number or true/false");
    if (!hash.empty() && salt.value.empty())
      throw config_error("hash needs a salt: without one, a hashed e-mail address is found again by hashing a "
                         "list of addresses");
    parsed_filter = Filter::parse(filter);
    std::set<std::string> changed;
    auto once = [&](const std::string& c) {
      if (!changed.insert(c).second)
        throw config_error("column '" + c + "' is given more than one of cast, hash and mask; chain two map "
                           "transforms to do both");
    };
    for (const auto& [c, type] : casts) once(c);
    for (const auto& c : hash) once(c);
    for (const auto& [c, keep] : masks) once(c);
  }

  // --- One stream ------------------------------------------------------------

  TransformRequest request;
  Schema input;
  std::vector<Column> output;
  Schema output_schema;
  bool skip = false;
  int64_t rows_seen = 0;
  std::unique_ptr<SaltedHash> hasher;

  void open(const TransformRequest& r) override {
    check_options();
    request = r;
    skip = on_error == "skip";
    if (!hash.empty()) hasher = std::make_unique<SaltedHash>(salt.value);
  }

  Column* find(std::vector<Column>& columns, const std::string& name) {
    for (auto& c : columns)
      if (c.name == name) return &c;
    return nullptr;
  }
  [[noreturn]] void missing(const char* option, const std::string& column, const std::vector<Column>& columns) const {
    throw config_error(std::string(option) + ": stream '" + request.stream + "' has no column '" + column +
                       "' at this step (its columns: " + names(columns) + ")");
  }

  Schema reshape(const Schema& in) override {
    input = in;
    output.clear();
    output_schema = Schema{};
    if (in.fields.empty()) return output_schema;  // columns not known yet
    std::vector<Column> cols;
    for (std::size_t i = 0; i < in.size(); ++i) cols.push_back(Column{Column::Pass, in[i].name, in[i].type, static_cast<int>(i), 0, {}});

    auto check_named = [&](const char* option, const std::vector<std::string>& patterns) {
      for (const auto& p : patterns)
        if (!is_glob(p) && !find(cols, p)) missing(option, p, cols);
    };
    if (!select.empty()) {
      check_named("select", select);
      std::erase_if(cols, [&](const Column& c) {
        if (reserved(c.name)) return false;
        for (const auto& p : select)
          if (matches(p, c.name)) return false;
        return true;
      });
    }
    check_named("drop", drop);
    std::erase_if(cols, [&](const Column& c) {
      for (const auto& p : drop)
        if (!reserved(c.name) && matches(p, c.name)) return true;
      return false;
    });
    // Renames apply at once, so { a = "b", b = "a" } swaps; only the names they leave must be unique.
    std::vector<std::pair<Column*, std::string>> renamed;
    for (const auto& [from, to] : renames) {
      Column* c = find(cols, from);
      if (!c) missing("rename", from, cols);
      renamed.emplace_back(c, to);
    }
    for (auto& [c, to] : renamed) c->name = to;
    for (const auto& [c, to] : renamed)
      if (std::count_if(cols.begin(), cols.end(), [&](const Column& other) { return other.name == to; }) > 1)
        throw config_error("rename: stream '" + request.stream + "' would have two columns named '" + to + "'");
    for (const auto& [name, type] : casts) {
      Column* c = find(cols, name);
      if (!c) missing("cast", name, cols);
      if (c->type != type) {
        c->op = Column::Cast;
        c->type = type;
      }
    }
    for (const auto& name : hash) {
      Column* c = find(cols, name);
      if (!c) missing("hash", name, cols);
      c->op = Column::Hash;
      c->type = TypeId::Utf8;
    }
    for (const auto& [name, keep] : masks) {
      Column* c = find(cols, name);
      if (!c) missing("mask", name, cols);
      c->op = Column::Mask;
      c->type = TypeId::Utf8;
      c->keep = keep;
    }
    for (const auto& [name, value] : set.as_object()) {
      Column made{Column::Set, name, TypeId::Utf8, -1, 0, value};
      if (value.is_bool()) made.type = TypeId::Bool;
      else if (value.is_int()) made.type = TypeId::Int64;
      else if (value.is_number()) made.type = TypeId::Float64;
      else if (value.as_string() == "{sync_time}") made.type = TypeId::TimestampUs;
      if (Column* c = find(cols, name)) *c = made;
      else cols.push_back(made);
    }
    output = std::move(cols);
    for (const auto& c : output) output_schema.fields.push_back(Field{c.name, c.type, true});
    parsed_filter.bind(output_schema);
    return output_schema;
  }

  // --- Batches ----------------------------------------------------------------

  struct Rejection {
    int64_t row;
    std::string column, value, reason;
  };

  OwnedArray apply(OwnedArray batch) override {
    SharedBatch in(std::move(batch));
    const int64_t rows = in.rows();
    if (output.empty() && input.fields.empty()) return in.column_count() == 0 ? struct_of({}, rows) : OwnedArray();
    std::vector<uint8_t> keep(static_cast<std::size_t>(rows), 1);
    std::vector<Rejection> rejected;
    std::vector<OwnedArray> columns;
    columns.reserve(output.size());
    std::string scratch, result;          // reused for every value
    std::vector<std::size_t> starts;
    for (const Column& c : output) {
      if (c.op == Column::Pass) {
        columns.push_back(in.column(static_cast<std::size_t>(c.input)));
        continue;
      }
      ColumnBuilder out(c.type);
      out.reserve(rows);
      if (c.op == Column::Set) {
        fill_constant(out, c, rows);
      } else {
        ColumnReader from(in.array().children[c.input], input[static_cast<std::size_t>(c.input)].type,
                          in.array().offset);
        for (int64_t r = 0; r < rows; ++r) {
          if (c.op == Column::Cast) {
            if (cast_value(from, r, out, scratch)) continue;
            Rejection why{r, c.name, text_of(from, r),
                          "cannot cast " + from.type().name() + " to " + c.type.name()};
            if (!skip)
              throw data_error("map: stream '" + request.stream + "', row " + std::to_string(rows_seen + r + 1) +
                               ", column '" + c.name + "': " + why.reason + " (value '" + why.value + "')");
            keep[static_cast<std::size_t>(r)] = 0;
            rejected.push_back(std::move(why));
            out.append_null();
          } else if (from.is_null(r)) {
            out.append_null();
          } else {
            scratch.clear();
            append_text(from, r, scratch);
            if (c.op == Column::Hash) hasher->hex(scratch, result);
            else masked(scratch, c.keep, starts, result);
            out.append_string(result);
          }
        }
      }
      ArrowArray a;
      out.finish(&a);
      columns.push_back(OwnedArray(&a));
    }
    if (!rejected.empty()) write_dead_letter(in, rejected);
    int64_t before_filter = 0;
    for (auto k : keep) before_filter += k;
    if (!parsed_filter.empty()) {
      std::vector<ColumnReader> readers;
      readers.reserve(columns.size());
      for (std::size_t i = 0; i < columns.size(); ++i) readers.emplace_back(columns[i].get(), output[i].type);
      parsed_filter.evaluate(readers, keep);
    }
    int64_t kept = 0;
    for (auto k : keep) kept += k;
    if (before_filter > kept) host().count("rows_filtered", before_filter - kept);
    rows_seen += rows;
    OwnedArray whole = struct_of(std::move(columns), rows);
    if (kept == rows) return whole;
    std::vector<int64_t> rows_kept;
    rows_kept.reserve(static_cast<std::size_t>(kept));
    for (int64_t r = 0; r < rows; ++r)
      if (keep[static_cast<std::size_t>(r)]) rows_kept.push_back(r);
    std::vector<OwnedArray> taken;
    taken.reserve(output.size());
    for (std::size_t i = 0; i < output.size(); ++i) taken.push_back(take_rows(*whole.get(), i, output[i].type, rows_kept));
    return struct_of(std::move(taken), kept);
  }

  static std::string text_of(const ColumnReader& c, int64_t row) {
    std::string s;
    append_text(c, row, s);
    return s;
  }

  // All but the last `keep` characters (UTF-8 code points) become '*',
  // written over `out`; `starts` is scratch space.
  static void masked(std::string_view s, int64_t keep, std::vector<std::size_t>& starts, std::string& out) {
    starts.clear();
    for (std::size_t i = 0; i < s.size(); ++i)
      if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
    const int64_t n = static_cast<int64_t>(starts.size());
    if (keep >= n) {
      out.assign(s);
      return;
    }
    out.assign(static_cast<std::size_t>(n - keep), '*');
    out.append(s.substr(starts[static_cast<std::size_t>(n - keep)]));
  }

  void fill_constant(ColumnBuilder& out, const Column& c, int64_t rows) const {
    const json::Value& v = c.value;
    std::string text = v.is_string() ? v.as_string() : "";
    if (text == "{run_id}") text = request.run_id;
    else if (text == "{stream}") text = request.stream;
    for (int64_t r = 0; r < rows; ++r) {
      if (c.type.id == TypeId::Bool) out.append_bool(v.as_bool());
      else if (c.type.id == TypeId::Int64) out.append_int(v.as_int());
      else if (c.type.id == TypeId::Float64) out.append_double(v.as_double());
      else if (c.type.id == TypeId::TimestampUs) out.append_int(request.sync_time_us);
      else out.append_string(text);
    }
  }

  void write_dead_letter(const SharedBatch& in, const std::vector<Rejection>& rejected) {
    std::string path = dead_letter.string();
    for (auto at = path.find("{stream}"); at != std::string::npos; at = path.find("{stream}", at))
      path.replace(at, 8, request.stream);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    std::ofstream file(path, std::ios::app | std::ios::binary);
    if (!file) throw io_error("map: cannot open the dead-letter file " + path, false);
    std::string line;
    for (const Rejection& r : rejected) {
      line = "{\"stream\":" + json::Value(request.stream).dump() + ",\"row\":" +
             std::to_string(rows_seen + r.row + 1) + ",\"column\":" + json::Value(r.column).dump() +
             ",\"error\":" + json::Value(r.reason).dump() + ",\"run_id\":" + json::Value(request.run_id).dump() +
             ",\"record\":{";
      for (std::size_t i = 0; i < input.size(); ++i) {
        ColumnReader c(in.array().children[i], input[i].type, in.array().offset);
        line += (i ? "," : "") + json::Value(input[i].name).dump() + ":";
        if (c.is_null(r.row)) line += "null";
        else append_json(c, r.row, line);
      }
      line += "}}\n";
      file << line;
    }
    file.flush();
    if (!file) throw io_error("map: cannot write the dead-letter file " + path, false);
    host().count("rows_rejected", static_cast<int64_t>(rejected.size()));
    host().warn("map: skipped " + std::to_string(rejected.size()) + " row(s) of stream '" + request.stream +
                "' that did not convert, to " + path);
  }
};

}  // namespace
}  // namespace ingestd::plugins::map

INGESTD_PLUGIN_CLASS(ingestd::plugins::map::MapTransform)
