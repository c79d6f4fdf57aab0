// Reads SQLite databases that tests produced, to check what ingestd wrote.
#pragma once

#include <string>
#include <vector>

namespace testing {

using Rows = std::vector<std::vector<std::string>>;

// Other databases to attach for a query: {schema name, path}.
using Attach = std::vector<std::pair<std::string, std::string>>;

// Runs `sql` on the database and returns every row, each value as text
// ("NULL" for NULL). Throws std::runtime_error on errors.
Rows query(const std::string& db_path, const std::string& sql, const Attach& attach = {});

// The single value of a one-row, one-column query.
std::string scalar(const std::string& db_path, const std::string& sql, const Attach& attach = {});

// Runs statements (setup of a source database).
void execute(const std::string& db_path, const std::string& sql);

}  // namespace testing
