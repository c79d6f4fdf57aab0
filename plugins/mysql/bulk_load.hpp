// Rows sent as LOAD DATA LOCAL INFILE from memory: the server parses tab-
// separated lines far faster than multi-row INSERT statements. The client
// hands over a buffer instead of a file (a local-infile handler), so no file
// is written.
#pragma once

#include "connection.hpp"

#include <ingestd/sdk/reader.hpp>

#include <string>
#include <vector>

namespace ingestd::plugins::mysql {

// Appends one field of a LOAD DATA line: \N for NULL, \t \n \\ \0 \r escaped.
void append_load_field(const ingestd::sdk::ColumnReader& column, int64_t row, std::string& out, std::string& scratch);
void append_load_text(std::string_view text, std::string& out);

// Loads `lines` (each ending in \n) into `table`'s `columns`; returns the rows
// loaded. A value the server had to change or drop (LOAD DATA LOCAL goes on
// past them with a warning) fails the load, naming the first.
uint64_t load_lines(Connection& db, const std::string& table, const std::vector<std::string>& columns,
                    const std::string& lines);

}  // namespace ingestd::plugins::mysql
