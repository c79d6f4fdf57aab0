// Applying a stream's schema to an existing destination table under the
// flow's schema_changes policy (evolve, freeze, discard). Destinations
// run the DDL; this decides what it is, the same way everywhere.
#pragma once

#include <ingestd/abi.h>
#include <ingestd/sdk/plugin.hpp>
#include <ingestd/sdk/schema.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::sdk {

struct ExistingColumn {
  std::string name;
  DataType type;  // what the column holds, in ingestd terms
};

struct SchemaPlan {
  std::vector<int> write;                   // stream columns to write, in order
  int deleted = -1;                         // the stream's _ingestd_deleted column, if any
  std::vector<Field> add;                   // columns to add (evolve)
  std::vector<std::pair<Field, DataType>> widen;  // columns whose type must widen: (to, from)
  std::vector<std::string> discarded;       // stream columns dropped (discard)
};

// `wider(a, b)`: the destination's narrowest type holding both. A column the
// table has but the stream lacks is left alone (NULL from then on). Metadata
// columns are never planned. Throws schema_error naming every new and changed
// column when the policy is "freeze".
inline SchemaPlan plan_schema_changes(const Schema& stream, const std::vector<ExistingColumn>& table,
                                      SchemaChanges policy, const std::string& table_name,
                                      const std::function<DataType(const DataType&, const DataType&)>& wider) {
  SchemaPlan plan;
  std::vector<std::string> added, changed;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const Field& f = stream[i];
    if (f.name == INGESTD_COLUMN_DELETED) {
      plan.deleted = static_cast<int>(i);
      continue;
    }
    if (f.name == INGESTD_COLUMN_SYNCED_AT || f.name == INGESTD_COLUMN_RUN_ID) continue;
    const ExistingColumn* had = nullptr;
    for (const auto& c : table)
      if (c.name == f.name) had = &c;
    if (!had) {
      if (policy == SchemaChanges::Freeze) {
        added.push_back(f.name + " (" + f.type.name() + ")");
      } else if (policy == SchemaChanges::Discard) {
        plan.discarded.push_back(f.name);
      } else {
        plan.add.push_back(f);
        plan.write.push_back(static_cast<int>(i));
      }
      continue;
    }
    DataType need = wider(had->type, f.type);
    if (need != had->type) {
      if (policy == SchemaChanges::Freeze) {
        changed.push_back(f.name + " (" + had->type.name() + " -> " + need.name() + ")");
        continue;
      }
      plan.widen.push_back({Field{f.name, need, true}, had->type});
    }
    plan.write.push_back(static_cast<int>(i));
  }
  if (!added.empty() || !changed.empty()) {
    auto list = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
      return out;
    };
    std::string msg = "table " + table_name + " would need to change and schema_changes = \"freeze\":";
    if (!added.empty()) msg += " new columns " + list(added);
    if (!changed.empty()) msg += std::string(added.empty() ? "" : ";") + " changed columns " + list(changed);
    throw schema_error(msg);
  }
  return plan;
}

}  // namespace ingestd::sdk
