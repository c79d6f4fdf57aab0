// A source stream over a paginated JSON endpoint: what the http plugin builds
// from its configuration, and what plugins for particular APIs (github) build
// from what they know. Records are read with simdjson into Arrow batches; the
// schema is sampled from the first page (or declared) and evolves when new
// keys appear. Incremental reads send the stored cursor (less the lookback)
// in a query parameter, drop older records, and checkpoint the cursor as
// pages are committed.
#pragma once

#include <ingestd/kit/http/pagination.hpp>
#include <ingestd/kit/http/session.hpp>

#include <ingestd/sdk/plugin.hpp>
#include <ingestd/kit/typing/columns.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ingestd::kit::http {

// One walk through pages: an endpoint, its query, and values for columns that
// tell its records apart from other partitions' (the repository of a GitHub
// issue). Each partition keeps its own cursor.
struct Partition {
  std::string key;   // names its cursor in the state; "" for a single partition
  std::string path;  // relative to base_url, or an absolute URL
  QueryParams params;
  std::vector<std::pair<std::string, std::string>> columns;  // constant string columns
};

struct EndpointSpec {
  std::string stream;
  std::vector<Partition> partitions;
  std::string records_path;  // JSON pointer to the records; "" when the body is the array
  PaginationSpec pagination;
  std::vector<std::string> primary_key;
  // The cursor: a key of the record or a JSON pointer into it
  // ("/commit/committer/date"). The flow's cursor, when set, wins.
  std::string cursor_field;
  std::string cursor_param;  // the query parameter the stored cursor goes to; "" = filter client-side only
  // Pages arrive in ascending cursor order, so the cursor can be saved after
  // every page; otherwise only when a partition has been read to its end.
  bool ascending = false;
  std::vector<kit::typing::DeclaredColumn> columns;  // declared types win over sampled ones
  int64_t sample_records = 1000;
};

std::unique_ptr<sdk::SourceStream> open_endpoint_stream(std::shared_ptr<const Api> api, EndpointSpec spec,
                                                        const sdk::StreamRequest& request,
                                                        const sdk::Instance& owner);

// The stream's catalog entry, with a schema sampled from its first page.
sdk::StreamInfo discover_endpoint(std::shared_ptr<const Api> api, const EndpointSpec& spec, const sdk::Host& host,
                                  const sdk::Instance& owner);

}  // namespace ingestd::kit::http
