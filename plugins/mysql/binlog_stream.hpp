// A table's changes from the MySQL/MariaDB binary log (capture = "binlog"):
// a first copy of the table in a consistent snapshot whose binlog position
// the server names, then every insert, update, delete and truncate from
// that position, with no gap and no overlap. A checkpoint is the position
// after the last transaction a batch completes ({"file": "binlog.000042",
// "pos": 1234}); a transaction is never split across two checkpoints. The
// server keeps no position for ingestd: the saved state is the only one.
#pragma once

#include "source.hpp"

#include <ingestd/sdk.hpp>

#include <memory>

namespace ingestd::plugins::mysql {

std::unique_ptr<ingestd::sdk::SourceStream> open_binlog_stream(const SourceSettings& settings,
                                                               const ingestd::sdk::StreamRequest& request,
                                                               const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::mysql
