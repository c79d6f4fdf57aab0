// A stream's rows as Kafka messages, one per row, through an idempotent
// producer (acks=all). A commit returns only once every message written
// since the last one has a delivery report without error; a failed delivery
// fails the commit as transient, and the batch is sent again (at least once).
#pragma once

#include "client.hpp"
#include "topic_stream.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::kafka {

struct DestinationSettings {
  ClientSettings client;
  std::string topic = "{stream}";  // {stream} and {table} are replaced
  Format format = Format::Json;
  std::string value_column;      // text and raw: the column sent as the value
  std::vector<std::string> key;  // columns; empty: no key
};

std::unique_ptr<ingestd::sdk::DestinationTable> open_producer_table(const DestinationSettings& settings,
                                                                   const ingestd::sdk::TableRequest& request,
                                                                   const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::kafka
