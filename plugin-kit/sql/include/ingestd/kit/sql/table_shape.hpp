// The shape of one destination table as the stream and the flow's settings
// decide it: the columns a new table gets, the schema changes applied to an
// existing one, the stream columns written, and the statements that follow
// from them. The destination runs the statements; the dialect spells them.
#pragma once

#include "dialect.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/plugin.hpp>
#include <ingestd/sdk/settings.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace ingestd::kit::sql {

bool is_metadata_column(const std::string& name);
// `names` followed by the metadata columns, as a table ingestd made orders them.
std::vector<std::string> with_metadata(std::vector<std::string> names);
// "a", "b" (each prefixed by `prefix`, "t." say)
std::string quoted_list(const Dialect& d, const std::vector<std::string>& names, const std::string& prefix = "");

// What a load changed, as counters run history and `ingestd usage` read:
// rows inserted, updated (changed) and deleted or marked deleted.
void count_changes(const sdk::Host& host, int64_t inserted, int64_t updated, int64_t deleted);

struct TableNames {
  std::string qualified;  // the table written to, quoted (and schema-qualified)
  std::string error;      // the table as errors name it
  std::string log;        // ... and as log lines do
};

class TableShape {
 public:
  TableShape(const Dialect& dialect, sdk::Host host, TableNames names, sdk::SchemaChanges policy,
             std::vector<std::string> primary_key);

  // CREATE TABLE for `schema`: the columns of `start` (an old table a
  // replace begins from) with the stream's own after them as the policy
  // allows, the metadata columns, and the primary key when given.
  std::string create_statement(const Columns& start, const sdk::Schema& schema, bool with_primary_key,
                               bool if_not_exists) const;

  // Applies the policy to a table holding `existing` for `schema`, running
  // each DDL statement it needs through `exec`, and decides what is written.
  void reconcile(const sdk::Schema& schema, const Columns& existing,
                 const std::function<void(const std::string&)>& exec);

  // Stream column indexes written, in order, and their names.
  const std::vector<int>& write_columns() const { return write_cols_; }
  const std::vector<std::string>& write_names() const { return write_names_; }
  // Stream column indexes of the primary key; the _ingestd_deleted column (-1: none).
  const std::vector<int>& key_columns() const { return key_cols_; }
  int deleted_column() const { return deleted_col_; }

  // delete_stale at the end of a complete snapshot: rows whose key is not
  // in `seen` are deleted, or marked deleted with the given values.
  std::string stale_rows_statement(const std::string& seen, bool hard_delete, const std::string& synced_at,
                                   const std::string& run_id) const;

  // The error when merge finds no unique key on the primary key and cannot make one.
  sdk::Error no_unique_key(const std::string& why) const;

 private:
  const Dialect& d_;
  sdk::Host host_;
  TableNames names_;
  sdk::SchemaChanges policy_;
  std::vector<std::string> key_;
  std::vector<int> write_cols_, key_cols_;
  std::vector<std::string> write_names_;
  int deleted_col_ = -1;
  std::set<std::string> widened_, discarded_;  // said once each
};

}  // namespace ingestd::kit::sql
