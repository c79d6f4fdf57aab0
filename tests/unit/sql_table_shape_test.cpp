// The SQL destination base: what it decides about a table (columns created,
// schema changes applied, columns written) and the statements it builds,
// spoken through a dialect.
#include <doctest/doctest.h>

#include <ingestd/kit/sql/table_shape.hpp>

using namespace ingestd;
using namespace ingestd::kit::sql;
using sdk::DataType;
using sdk::TypeId;

namespace {

// A dialect whose spellings are easy to read back.
class TestDialect : public Dialect {
 public:
  std::string quote(const std::string& identifier) const override { return "[" + identifier + "]"; }
  std::string column_type(const DataType& type) const override { return "T_" + type.name(); }
  DataType type_of(const std::string& declared) const override { return DataType::from_name(declared.substr(2)); }
  DataType widened(const DataType& had, const DataType& in) const override {
    if (had == in) return had;
    return had.id == TypeId::Int64 && in.id == TypeId::Float64 ? in : DataType(TypeId::Utf8);
  }
  std::string widen_column(const std::string& target, const std::string& column, const DataType& to) const override {
    return "WIDEN " + target + "." + quote(column) + " TO " + column_type(to);
  }
  Columns metadata_columns() const override {
    return {{"_ingestd_synced_at", "TS"}, {"_ingestd_deleted", "FLAG"}, {"_ingestd_run_id", "TEXT"}};
  }
  std::string boolean(bool value) const override { return value ? "YES" : "NO"; }
};

const TestDialect kDialect;

sdk::Schema stream_of(std::vector<sdk::Field> fields) { return sdk::Schema{std::move(fields)}; }

TableShape shape(sdk::SchemaChanges policy, std::vector<std::string> key = {"id"}) {
  return TableShape(kDialect, sdk::Host(), TableNames{"[s].[t]", "s.t", "table s.t"}, policy, std::move(key));
}

}  // namespace

TEST_CASE("sql table shape: a new table has the stream's columns, the metadata columns, then the key") {
  const auto stream = stream_of({{"id", TypeId::Int64}, {"name", TypeId::Utf8}, {"_ingestd_deleted", TypeId::Bool}});
  CHECK(shape(sdk::SchemaChanges::Evolve).create_statement({}, stream, true, false) ==
        "CREATE TABLE [s].[t] ([id] T_int64, [name] T_string, [_ingestd_synced_at] TS, [_ingestd_deleted] FLAG, "
        "[_ingestd_run_id] TEXT, PRIMARY KEY ([id]))");
  CHECK(shape(sdk::SchemaChanges::Evolve).create_statement({}, stream, false, true) ==
        "CREATE TABLE IF NOT EXISTS [s].[t] ([id] T_int64, [name] T_string, [_ingestd_synced_at] TS, "
        "[_ingestd_deleted] FLAG, [_ingestd_run_id] TEXT)");
}

TEST_CASE("sql table shape: a replace starts from the old table's columns and adds the stream's only when evolving") {
  const auto stream = stream_of({{"id", TypeId::Int64}, {"extra", TypeId::Float64}});
  const Columns old = {{"id", "T_int64"}, {"kept", "T_string"}, {"_ingestd_run_id", "TEXT"}};
  CHECK(shape(sdk::SchemaChanges::Evolve).create_statement(old, stream, false, false) ==
        "CREATE TABLE [s].[t] ([id] T_int64, [kept] T_string, [extra] T_float64, [_ingestd_synced_at] TS, "
        "[_ingestd_deleted] FLAG, [_ingestd_run_id] TEXT)");
  CHECK(shape(sdk::SchemaChanges::Discard).create_statement(old, stream, false, false) ==
        "CREATE TABLE [s].[t] ([id] T_int64, [kept] T_string, [_ingestd_synced_at] TS, [_ingestd_deleted] FLAG, "
        "[_ingestd_run_id] TEXT)");
}

TEST_CASE("sql table shape: reconciling adds and widens columns through the dialect and decides what is written") {
  const auto stream = stream_of({{"amount", TypeId::Float64},
                                 {"id", TypeId::Int64},
                                 {"_ingestd_deleted", TypeId::Bool},
                                 {"note", TypeId::Utf8}});
  const Columns table = {{"id", "T_int64"}, {"amount", "T_int64"}, {"_ingestd_deleted", "FLAG"}};
  std::vector<std::string> ddl;
  TableShape evolve = shape(sdk::SchemaChanges::Evolve);
  evolve.reconcile(stream, table, [&](const std::string& s) { ddl.push_back(s); });
  INFO(ddl.size() << ": " << (ddl.empty() ? "" : ddl.back()));
  CHECK(ddl == std::vector<std::string>{"ALTER TABLE [s].[t] ADD COLUMN [note] T_string",
                                        "WIDEN [s].[t].[amount] TO T_float64"});
  CHECK(evolve.write_names() == std::vector<std::string>{"amount", "id", "note"});
  CHECK(evolve.write_columns() == std::vector<int>{0, 1, 3});
  CHECK(evolve.key_columns() == std::vector<int>{1});
  CHECK(evolve.deleted_column() == 2);

  ddl.clear();
  TableShape discard = shape(sdk::SchemaChanges::Discard);
  discard.reconcile(stream, table, [&](const std::string& s) { ddl.push_back(s); });
  CHECK(std::find(ddl.begin(), ddl.end(), "ALTER TABLE [s].[t] ADD COLUMN [note] T_string") == ddl.end());
  CHECK(std::find(discard.write_names().begin(), discard.write_names().end(), "note") == discard.write_names().end());
}

TEST_CASE("sql table shape: a primary key column the stream lacks is the configuration's error, naming the table") {
  TableShape s = shape(sdk::SchemaChanges::Evolve, {"id", "missing"});
  const auto stream = stream_of({{"id", TypeId::Int64}});
  try {
    s.reconcile(stream, {{"id", "T_int64"}}, [](const std::string&) {});
    FAIL("no error");
  } catch (const sdk::Error& e) {
    CHECK(e.is_config());
    CHECK(std::string(e.what()) == "primary key column 'missing' is not in stream s.t");
  }
}

TEST_CASE("sql table shape: stale rows are deleted or marked by the keys a snapshot did not deliver") {
  TableShape s = shape(sdk::SchemaChanges::Evolve, {"a", "b"});
  CHECK(s.stale_rows_statement("seen", true, "?1", "?2") ==
        "DELETE FROM [s].[t] AS t WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.[a] = t.[a] AND s.[b] = t.[b])");
  CHECK(s.stale_rows_statement("seen", false, "now()", "'r1'") ==
        "UPDATE [s].[t] AS t SET [_ingestd_deleted] = YES, [_ingestd_synced_at] = now(), [_ingestd_run_id] = 'r1' "
        "WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.[a] = t.[a] AND s.[b] = t.[b]) AND t.[_ingestd_deleted] = NO");
}
