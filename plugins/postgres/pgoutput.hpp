// The messages of a logical replication stream as PostgreSQL sends them:
// the streaming replication envelope (XLogData, keepalives, the client's
// status updates) and, inside XLogData, the pgoutput plugin's messages
// (protocol version 1, text values). Parsing only: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::postgres::pgoutput {

using Lsn = uint64_t;

// "16/B374D848" both ways.
std::string lsn_text(Lsn lsn);
std::optional<Lsn> parse_lsn(std::string_view text);

// What arrives in the COPY BOTH stream.
struct Envelope {
  enum class Kind { Data, Keepalive } kind = Kind::Data;
  Lsn wal_start = 0;  // Data: where its WAL record starts
  Lsn wal_end = 0;    // the server's WAL position when it sent this
  bool reply_requested = false;  // Keepalive: answer with a status update now
  std::string_view payload;      // Data: one pgoutput message
};
// Throws std::runtime_error on anything malformed.
Envelope parse_envelope(std::string_view message);

// The client's standby status update: received up to `written`, durable up
// to `flushed` (the slot may release WAL before it).
std::string status_update(Lsn written, Lsn flushed, int64_t now_us_since_2000, bool reply_requested = false);

struct Column {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool key = false;  // part of the replica identity
};

struct Relation {
  uint32_t id = 0;
  std::string schema, table;
  char replica_identity = 'd';  // d default, n nothing, f full, i index
  std::vector<Column> columns;
};

// One column of a row image.
struct Value {
  enum class Kind { Null, Unchanged, Text } kind = Kind::Null;  // Unchanged: a TOASTed value the update did not touch
  std::string_view text;
};

struct Message {
  enum class Type { Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other } type = Type::Other;
  Lsn final_lsn = 0;   // Begin: the transaction's commit record
  Lsn commit_lsn = 0;  // Commit
  Lsn end_lsn = 0;     // Commit: just past the commit record
  uint32_t xid = 0;
  Relation relation;   // Relation
  uint32_t relation_id = 0;   // Insert, Update, Delete
  std::vector<Value> row;     // Insert, Update: the new row
  std::vector<Value> old_row; // Update (replica identity key or full), Delete
  bool has_old_row = false;
  std::vector<uint32_t> truncated;  // Truncate: relation ids
};

// Parses one pgoutput message; the values point into `payload`. Throws
// std::runtime_error on anything malformed.
Message parse_message(std::string_view payload);

}  // namespace ingestd::plugins::postgres::pgoutput
