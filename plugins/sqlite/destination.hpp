// The sqlite destination: every load mode, one transaction per commit, and
// the checkpoint stored in the same transaction as the data.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ingestd::plugins::sqlite {

struct DestinationSettings {
  std::string path;
  bool synchronous_full = true;
};

// SQLite has one writer at a time: tables of one destination take turns,
// each holding this lock from its first write to its commit.
using WriterLock = std::mutex;

std::unique_ptr<ingestd::sdk::DestinationTable> open_destination_table(const DestinationSettings& settings,
                                                                       const ingestd::sdk::TableRequest& request,
                                                                       WriterLock& lock);

std::optional<ingestd::sdk::StoredState> load_stored_state(const DestinationSettings& settings, const std::string& key);
void clear_stored_state(const DestinationSettings& settings, const std::string& key);

}  // namespace ingestd::plugins::sqlite
