#include <ingestd/kit/typing/columns.hpp>

#include <ingestd/sdk/plugin.hpp>

namespace ingestd::kit::typing {

using ingestd::sdk::config_error;
using ingestd::sdk::DataType;
using ingestd::sdk::Schema;

std::vector<DeclaredColumn> parse_declared_columns(const ingestd::json::Value& v, const std::string& option) {
  std::vector<DeclaredColumn> out;
  if (v.is_null()) return out;
  if (!v.is_array())
    throw config_error(option + " must be a list of \"name:type\" strings or { name, type } tables");
  for (const auto& c : v.as_array()) {
    DeclaredColumn d;
    std::string type = "string";
    if (c.is_string()) {
      const std::string& s = c.as_string();
      auto colon = s.rfind(':');
      d.name = colon == std::string::npos ? s : s.substr(0, colon);
      if (colon != std::string::npos) type = s.substr(colon + 1);
    } else if (c.is_object() && c["name"].is_string()) {
      d.name = c["name"].as_string();
      if (c["type"].is_string()) type = c["type"].as_string();
    } else {
      throw config_error(option + ": each entry is \"name:type\" or { name = \"...\", type = \"...\" }");
    }
    if (d.name.empty()) throw config_error(option + ": a column has an empty name");
    for (const auto& o : out)
      if (o.name == d.name) throw config_error(option + ": '" + d.name + "' is declared twice");
    try {
      d.type = DataType::from_name(type);
    } catch (const std::exception& e) {
      throw config_error(option + ": column '" + d.name + "': " + e.what());
    }
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// ingestd's metadata columns are _ingestd_*: a source's own key of such a name
// (an event carrying "_ingestd_deleted": true to delete a row) must never be
// taken for one, so it is kept as _source_ingestd_*.
std::string_view stored_name(std::string_view name, std::string& buffer) {
  if (name.substr(0, 9) != "_ingestd_") return name;
  buffer = "_source";
  buffer += name;
  return buffer;
}

}  // namespace

int ColumnSet::find(std::string_view name) const {
  std::string buffer;
  auto it = index_.find(stored_name(name, buffer));
  return it == index_.end() ? -1 : static_cast<int>(it->second);
}

std::size_t ColumnSet::add(std::string_view name) {
  Column c;
  std::string buffer;
  c.name = std::string(stored_name(name, buffer));
  for (const auto& d : declared_)
    if (d.name == name) {
      c.declared = true;
      c.declared_type = d.type;
    }
  if (c.name != name && host_)
    host_->warn("stream " + stream_ + ": the source's column '" + std::string(name) + "' is loaded as '" + c.name +
                "' (_ingestd_ names are ingestd's own metadata)");
  cols_.push_back(c);
  index_.emplace(c.name, cols_.size() - 1);
  return cols_.size() - 1;
}

std::size_t ColumnSet::index_or_add(std::string_view name) {
  int i = find(name);
  return i < 0 ? add(name) : static_cast<std::size_t>(i);
}

ColumnSet ColumnSet::redeclared(std::vector<DeclaredColumn> declared) const {
  ColumnSet next(std::move(declared));
  next.host_ = host_;
  next.stream_ = stream_;
  next.widened_ = widened_;
  next.add_declared();
  for (const auto& c : cols_) {
    std::size_t at = next.index_or_add(c.name);
    if (!next[at].declared) next[at] = c;
  }
  return next;
}

void ColumnSet::widen_to(std::size_t i, Shape wider, std::string_view value) {
  Column& c = cols_[i];
  const Shape before = c.shape;
  c.shape = wider;
  if (before == Shape::Null || type_of(before) == type_of(wider) || !host_) return;
  if (!widened_.insert(c.name).second) return;
  std::string shown(value.substr(0, 100));
  host_->warn("stream " + stream_ + ": column '" + c.name + "' widened from " + type_of(before).name() + " to " +
              type_of(wider).name() + " by the value '" + shown + (value.size() > 100 ? "…" : "") +
              "' (declare its type in columns, or fix the value, to keep " + type_of(before).name() + ")");
  host_->count("columns_widened", 1);
}

void ColumnSet::report_widenings_to(const ingestd::sdk::Host& host, std::string stream) {
  host_ = host;
  stream_ = std::move(stream);
}

void ColumnSet::add_declared() {
  for (const auto& d : declared_) index_or_add(d.name);
}

Schema ColumnSet::schema() const {
  Schema s;
  for (const auto& c : cols_) s.fields.push_back({c.name, c.type(), true});
  return s;
}

json::Value learned_columns(const ColumnSet& columns) {
  json::Array out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].declared) continue;
    json::Object c;
    c.set("name", json::Value(columns[i].name));
    c.set("type", json::Value(columns[i].type().name()));
    out.push_back(json::Value(std::move(c)));
  }
  return json::Value(std::move(out));
}

void relearn_columns(ColumnSet& columns, const json::Value& saved) {
  if (!saved.is_array()) return;
  std::vector<DeclaredColumn> learned;
  try {
    learned = parse_declared_columns(saved, "the saved columns");
  } catch (const std::exception&) {
    return;  // a state from another version: the columns are learned again
  }
  for (const auto& c : learned) {
    Column& col = columns[columns.index_or_add(c.name)];
    if (!col.declared) col.shape = widen(col.shape, shape_of(c.type));
  }
}

}  // namespace ingestd::kit::typing
