// The columns of a stream of untyped records (CSV rows, JSON objects) as they
// are learned: declared up front, sampled, widened, added as new keys appear.
#pragma once

#include <ingestd/kit/typing/value_typing.hpp>

#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ingestd::kit::typing {

struct DeclaredColumn {
  std::string name;
  ingestd::sdk::DataType type;
};

// `option` = ["id:int64", "name"] or [{ name = "id", type = "int64" }, ...];
// a name without a type is a string. Throws a config error naming `option`.
std::vector<DeclaredColumn> parse_declared_columns(const ingestd::json::Value& value,
                                                   const std::string& option = "columns");

struct Column {
  std::string name;
  Shape shape = Shape::Null;  // widened over the values seen
  bool declared = false;
  ingestd::sdk::DataType declared_type;

  ingestd::sdk::DataType type() const { return declared ? declared_type : type_of(shape); }
};

class ColumnSet {
 public:
  // Declared columns keep their type when added; they are not added here.
  explicit ColumnSet(std::vector<DeclaredColumn> declared = {}) : declared_(std::move(declared)) {}

  const std::vector<DeclaredColumn>& declared() const { return declared_; }
  // Index of a column, or -1.
  int find(std::string_view name) const;
  // Adds a column (typed as declared, if it is).
  std::size_t add(std::string_view name);
  std::size_t index_or_add(std::string_view name);
  // Adds every declared column, in the declared order.
  void add_declared();
  // Column `i` now holds values of `wider` because of `value` (as read).
  // A column that had a type and changes it is reported once: a warning
  // naming the stream, column, both types and the value, and the
  // columns_widened counter (see report_widenings_to).
  void widen_to(std::size_t i, Shape wider, std::string_view value);
  // Where widen_to reports; until called, widenings are silent.
  void report_widenings_to(const ingestd::sdk::Host& host, std::string stream);
  // A copy that reports nothing: for typing ahead on another thread, where
  // a widening is only a reason to stop (the owner of the set widens it).
  ColumnSet unreported() const {
    ColumnSet copy = *this;
    copy.host_.reset();
    return copy;
  }
  // The columns under a new declaration (a schema announced again): the
  // declared ones first, then every column learned so far, so nothing drops.
  ColumnSet redeclared(std::vector<DeclaredColumn> declared) const;
  Column& operator[](std::size_t i) { return cols_[i]; }
  const Column& operator[](std::size_t i) const { return cols_[i]; }
  std::size_t size() const { return cols_.size(); }
  ingestd::sdk::Schema schema() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<DeclaredColumn> declared_;
  std::vector<Column> cols_;
  std::optional<ingestd::sdk::Host> host_;
  std::string stream_;
  std::set<std::string> widened_;  // reported already
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
};

// The columns a stream learned from its records (declared ones left out),
// as [{"name", "type"}, ...], for a checkpoint: a source of untyped records
// that starts the next run with them does not announce them again as new.
ingestd::json::Value learned_columns(const ColumnSet& columns);
// Takes back what learned_columns saved: each column added, or widened to
// at least its saved type. Anything else in `saved` is ignored.
void relearn_columns(ColumnSet& columns, const ingestd::json::Value& saved);

}  // namespace ingestd::kit::typing
