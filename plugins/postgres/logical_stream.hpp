// A table's changes from PostgreSQL logical replication (capture =
// "logical"): a slot of its own (pgoutput, no extension to install), a first
// copy of the table in the slot's exported snapshot, then every insert,
// update, delete and truncate from the slot's consistent point, with no gap
// and no overlap. A checkpoint is the end of the last transaction a batch
// completes ({"lsn": "16/B374D848"}); a transaction is never split across
// two. The slot is told a position only once a checkpoint at it was saved,
// so it never passes the saved state.
#pragma once

#include "source.hpp"

#include <ingestd/sdk.hpp>

#include <memory>

namespace ingestd::plugins::postgres {

std::unique_ptr<ingestd::sdk::SourceStream> open_logical_stream(const SourceSettings& settings,
                                                                const ingestd::sdk::StreamRequest& request,
                                                                const ingestd::sdk::Instance& owner);

// `ingestd state reset --drop-slot`: drops the stream's slot and the
// publication ingestd made for it (a publication named in the options is the
// user's and stays). A slot in use by a running stream is refused.
void release_replication(const SourceSettings& settings, const std::string& flow, const std::string& stream,
                         const ingestd::sdk::Host& host);

// The name ingestd gives a flow's slot and publication for a table (at most
// 63 bytes, as PostgreSQL allows): ingestd_<flow>_<database>_<schema>_<table>.
std::string replication_name(const std::string& flow, const std::string& database, const std::string& schema,
                             const std::string& table);

}  // namespace ingestd::plugins::postgres
