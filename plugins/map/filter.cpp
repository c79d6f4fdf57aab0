#include "filter.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/values.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace ingestd::plugins::map {

namespace {

using sdk::config_error;
using sdk::TypeId;

// Three-valued logic, as SQL: a comparison with a null is unknown, and only
// rows that come out true are kept. With this order, and = min, or = max.
constexpr uint8_t kFalse = 0, kUnknown = 1, kTrue = 2;

struct Literal {
  enum Kind { String, Number, Bool } kind = String;
  std::string text;  // strings unquoted, numbers as written
  bool boolean = false;
};

enum class Op { Eq, Ne, Lt, Le, Gt, Ge };

// A constant in the form its column's values are compared in.
struct Bound {
  int64_t i = 0;
  double d = 0;
  __int128 dec = 0;
  std::string s;
  bool b = false;
};

enum class Domain { Int, Float, Decimal, Bool, String, Temporal };

}  // namespace

struct FilterNode {
  enum Kind { And, Or, Not, Compare, In, IsNull } kind;
  std::unique_ptr<FilterNode> left, right;
  std::string column;
  Op op = Op::Eq;
  bool negate = false;  // not in, is not null
  std::vector<Literal> literals;
  // Set by bind.
  int index = -1;
  Domain domain = Domain::String;
  std::vector<Bound> bound;
};

namespace {

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  std::unique_ptr<FilterNode> parse() {
    auto node = expr();
    skip_space();
    if (pos_ != s_.size()) fail("unexpected '" + s_.substr(pos_, 12) + "'");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw config_error("filter: " + what + " at character " + std::to_string(pos_ + 1) + " of \"" + s_ + "\"");
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  // Consumes `word` (a keyword, any case) when it comes next as a whole word.
  bool keyword(std::string_view word) {
    skip_space();
    if (s_.size() - pos_ < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s_[pos_ + i])) != word[i]) return false;
    std::size_t end = pos_ + word.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) return false;
    pos_ = end;
    return true;
  }
  bool symbol(std::string_view sym) {
    skip_space();
    if (s_.compare(pos_, sym.size(), sym) != 0) return false;
    pos_ += sym.size();
    return true;
  }

  std::unique_ptr<FilterNode> combine(FilterNode::Kind kind, std::unique_ptr<FilterNode> l,
                                      std::unique_ptr<FilterNode> r) {
    auto n = std::make_unique<FilterNode>();
    n->kind = kind;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  std::unique_ptr<FilterNode> expr() {
    auto node = term();
    while (keyword("or")) node = combine(FilterNode::Or, std::move(node), term());
    return node;
  }
  std::unique_ptr<FilterNode> term() {
    auto node = factor();
    while (keyword("and")) node = combine(FilterNode::And, std::move(node), factor());
    return node;
  }
  std::unique_ptr<FilterNode> factor() {
    if (keyword("not")) return combine(FilterNode::Not, factor(), nullptr);
    if (symbol("(")) {
      auto node = expr();
      if (!symbol(")")) fail("expected ')'");
      return node;
    }
    return comparison();
  }

  std::string identifier() {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      std::size_t end = s_.find('"', pos_ + 1);
      if (end == std::string::npos) fail("unterminated quoted column name");
      std::string name = s_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      return name;
    }
    std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '.'))
      ++pos_;
    if (start == pos_) fail("expected a column name");
    return s_.substr(start, pos_ - start);
  }

  Literal literal() {
    skip_space();
    Literal l;
    if (pos_ < s_.size() && s_[pos_] == '\'') {
      // 'it''s': a doubled quote is a quote.
      for (++pos_;; ++pos_) {
        if (pos_ >= s_.size()) fail("unterminated string");
        if (s_[pos_] == '\'') {
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
            l.text.push_back('\'');
            ++pos_;
            continue;
          }
          ++pos_;
          return l;
        }
        l.text.push_back(s_[pos_]);
      }
    }
    if (keyword("true") || keyword("false")) {
      l.kind = Literal::Bool;
      l.boolean = std::tolower(static_cast<unsigned char>(s_[pos_ - 4])) == 't';
      return l;
    }
    std::size_t start = pos_;
    if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) ++pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
                                s_[pos_] == 'e' || s_[pos_] == 'E'))
      ++pos_;
    l.kind = Literal::Number;
    l.text = s_.substr(start, pos_ - start);
    char* end = nullptr;
    std::strtod(l.text.c_str(), &end);
    if (l.text.empty() || *end != '\0') {
      pos_ = start;
      fail("expected a constant ('text', a number, true or false)");
    }
    return l;
  }

  std::unique_ptr<FilterNode> comparison() {
    auto n = std::make_unique<FilterNode>();
    n->column = identifier();
    if (keyword("is")) {
      n->kind = FilterNode::IsNull;
      n->negate = keyword("not");
      if (!keyword("null")) fail("expected 'null' after 'is'");
      return n;
    }
    const bool negated_in = keyword("not");
    if (keyword("in")) {
      n->kind = FilterNode::In;
      n->negate = negated_in;
      if (!symbol("(")) fail("expected '(' after 'in'");
      do n->literals.push_back(literal());
      while (symbol(","));
      if (!symbol(")")) fail("expected ')' closing the list");
      return n;
    }
    if (negated_in) fail("expected 'in' after 'not'");
    n->kind = FilterNode::Compare;
    static const std::pair<const char*, Op> ops[] = {{"<=", Op::Le}, {">=", Op::Ge}, {"!=", Op::Ne}, {"<>", Op::Ne},
                                                     {"=", Op::Eq},  {"<", Op::Lt},  {">", Op::Gt}};
    bool found = false;
    for (const auto& [text, op] : ops)
      if (!found && symbol(text)) {
        n->op = op;
        found = true;
      }
    if (!found) fail("expected a comparison (=, !=, <, <=, >, >=, in, is null) after '" + n->column + "'");
    n->literals.push_back(literal());
    return n;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
};

Domain domain_of(const sdk::DataType& t) {
  switch (t.id) {
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: return Domain::Int;
    case TypeId::Float32:
    case TypeId::Float64: return Domain::Float;
    case TypeId::Decimal128: return Domain::Decimal;
    case TypeId::Bool: return Domain::Bool;
    case TypeId::Date32:
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal:
    case TypeId::Time64Us: return Domain::Temporal;
    case TypeId::Utf8:
    case TypeId::LargeUtf8:
    case TypeId::Binary: return Domain::String;
    default:
      throw config_error("filter: cannot compare values of type " + t.name());
  }
}

Bound bind_literal(const Literal& l, const std::string& column, const sdk::DataType& type, Domain domain) {
  Bound b;
  auto wrong = [&](const std::string& want) -> Bound {
    throw config_error("filter: column '" + column + "' is " + type.name() + "; compare it with " + want +
                       " (or cast it first)");
  };
  switch (domain) {
    case Domain::Int:
    case Domain::Float:
      if (l.kind != Literal::Number) return wrong("a number");
      b.d = std::strtod(l.text.c_str(), nullptr);
      if (std::from_chars(l.text.data(), l.text.data() + l.text.size(), b.i).ec != std::errc{} ||
          l.text.find_first_of(".eE") != std::string::npos)
        b.i = 0;
      return b;
    case Domain::Decimal:
      if (l.kind != Literal::Number || !sdk::parse_decimal(l.text, type.scale, b.dec))
        return wrong("a number of at most " + std::to_string(type.scale) + " decimals");
      return b;
    case Domain::Bool:
      if (l.kind != Literal::Bool) return wrong("true or false");
      b.b = l.boolean;
      return b;
    case Domain::String:
      if (l.kind != Literal::String) return wrong("a 'quoted' string");
      b.s = l.text;
      return b;
    case Domain::Temporal: {
      bool ok = l.kind == Literal::String;
      if (ok && type.id == TypeId::Date32) {
        int32_t days = 0;
        ok = sdk::parse_date(l.text, days);
        b.i = days;
      } else if (ok && type.id == TypeId::Time64Us) {
        ok = sdk::parse_time(l.text, b.i);
      } else if (ok) {
        ok = sdk::parse_timestamp(l.text, b.i);
      }
      if (!ok) return wrong("a 'quoted' " + type.name() + " in ISO 8601 form");
      return b;
    }
  }
  return b;
}

void bind_node(FilterNode& n, const sdk::Schema& schema) {
  if (n.left) bind_node(*n.left, schema);
  if (n.right) bind_node(*n.right, schema);
  if (n.kind == FilterNode::And || n.kind == FilterNode::Or || n.kind == FilterNode::Not) return;
  n.index = schema.index_of(n.column);
  if (n.index < 0) {
    std::string columns;
    for (const auto& f : schema.fields) columns += (columns.empty() ? "" : ", ") + f.name;
    throw config_error("filter: no column '" + n.column + "' (columns: " + columns + ")");
  }
  if (n.kind == FilterNode::IsNull) return;
  const sdk::DataType& type = schema[static_cast<std::size_t>(n.index)].type;
  n.domain = domain_of(type);
  // Only exact integers compare as integers; 2.5 against an integer column compares as a number.
  if (n.domain == Domain::Int)
    for (const Literal& l : n.literals)
      if (l.kind == Literal::Number && l.text.find_first_of(".eE") != std::string::npos) n.domain = Domain::Float;
  n.bound.clear();
  for (const Literal& l : n.literals) n.bound.push_back(bind_literal(l, n.column, type, n.domain));
}

template <class T>
bool compare(const T& a, const T& b, Op op) {
  switch (op) {
    case Op::Eq: return a == b;
    case Op::Ne: return !(a == b);
    case Op::Lt: return a < b;
    case Op::Le: return !(b < a);
    case Op::Gt: return b < a;
    case Op::Ge: return !(a < b);
  }
  return false;
}

bool compare_row(const FilterNode& n, const sdk::ColumnReader& c, int64_t row, const Bound& b, Op op) {
  switch (n.domain) {
    case Domain::Int:
    case Domain::Temporal: return compare(c.int_value(row), b.i, op);
    case Domain::Float: return compare(c.double_value(row), b.d, op);
    case Domain::Decimal: return compare(c.decimal_value(row), b.dec, op);
    case Domain::Bool: return compare(c.bool_value(row), b.b, op);
    case Domain::String: return compare(c.string_value(row), std::string_view(b.s), op);
  }
  return false;
}

// out[i]: kFalse, kUnknown or kTrue for every row.
void eval(const FilterNode& n, const std::vector<sdk::ColumnReader>& columns, std::vector<uint8_t>& out) {
  const int64_t rows = static_cast<int64_t>(out.size());
  switch (n.kind) {
    case FilterNode::And:
    case FilterNode::Or: {
      eval(*n.left, columns, out);
      std::vector<uint8_t> right(out.size());
      eval(*n.right, columns, right);
      for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = n.kind == FilterNode::And ? std::min(out[i], right[i]) : std::max(out[i], right[i]);
      return;
    }
    case FilterNode::Not:
      eval(*n.left, columns, out);
      for (auto& v : out) v = static_cast<uint8_t>(kTrue - v);
      return;
    case FilterNode::IsNull: {
      const sdk::ColumnReader& c = columns[static_cast<std::size_t>(n.index)];
      for (int64_t i = 0; i < rows; ++i) out[i] = c.is_null(i) != n.negate ? kTrue : kFalse;
      return;
    }
    case FilterNode::Compare:
    case FilterNode::In: {
      const sdk::ColumnReader& c = columns[static_cast<std::size_t>(n.index)];
      for (int64_t i = 0; i < rows; ++i) {
        if (c.is_null(i)) {
          out[i] = kUnknown;
          continue;
        }
        bool hit = false;
        if (n.kind == FilterNode::Compare) {
          hit = compare_row(n, c, i, n.bound[0], n.op);
        } else {
          for (const Bound& b : n.bound)
            if ((hit = compare_row(n, c, i, b, Op::Eq))) break;
          hit = hit != n.negate;
        }
        out[i] = hit ? kTrue : kFalse;
      }
      return;
    }
  }
}

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

Filter Filter::parse(const std::string& text) {
  Filter f;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return f;
  f.root_ = Parser(text).parse();
  return f;
}

void Filter::bind(const sdk::Schema& schema) {
  if (root_) bind_node(*root_, schema);
}

void Filter::evaluate(const std::vector<sdk::ColumnReader>& columns, std::vector<uint8_t>& keep) const {
  if (!root_) return;
  std::vector<uint8_t> result(keep.size());
  eval(*root_, columns, result);
  for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = keep[i] && result[i] == kTrue;
}

}  // namespace ingestd::plugins::map
