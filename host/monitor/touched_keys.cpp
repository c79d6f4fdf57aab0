#include "monitor/touched_keys.hpp"

#include "log/logging.hpp"
#include "state/state_store.hpp"
#include "util/time.hpp"

#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/values.hpp>

namespace ingestd {

namespace {

// FNV-1a, 64 bits: key texts are short, and a collision in 2^64 only
// undercounts one key.
void mix(uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
}

}  // namespace

std::vector<uint64_t> key_hashes(const RecordBatch& batch, const std::vector<std::string>& key) {
  if (!batch.schema || key.empty() || batch.rows == 0) return {};
  std::vector<std::size_t> columns;
  for (const auto& k : key) {
    const int at = batch.schema->index_of(k);
    if (at < 0) return {};
    columns.push_back(static_cast<std::size_t>(at));
  }
  const sdk::BatchReader reader(*batch.array.get(), *batch.schema);
  std::vector<uint64_t> out;
  out.reserve(static_cast<std::size_t>(batch.rows));
  std::string text;
  for (int64_t r = 0; r < reader.rows(); ++r) {
    uint64_t h = 14695981039346656037ull;
    for (std::size_t c : columns) {
      const sdk::ColumnReader& column = reader.column(c);
      text.clear();
      if (column.is_null(r)) {
        text = "\x1e";  // NULL, unlike any text
      } else {
        sdk::append_text(column, r, text);
      }
      mix(h, text);
      mix(h, "\x1f");
    }
    // FNV's high bits mix poorly for short keys, and the sketch reads them
    // first: a finalizer (MurmurHash3's) spreads every bit.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    out.push_back(h);
  }
  return out;
}

std::string utc_month() { return utc_timestamp().substr(0, 7); }

KeyTally::KeyTally(StateStore& store, std::string flow, std::string stream)
    : store_(store), flow_(std::move(flow)), stream_(std::move(stream)) {}

void KeyTally::add(const std::vector<uint64_t>& hashes) {
  std::lock_guard lock(mutex_);
  for (uint64_t h : hashes) pending_.add(h);
  any_ = any_ || !hashes.empty();
  if (std::chrono::steady_clock::now() - last_flush_ > std::chrono::seconds(5)) flush_locked();
}

void KeyTally::flush() {
  std::lock_guard lock(mutex_);
  flush_locked();
}

void KeyTally::flush_locked() {
  last_flush_ = std::chrono::steady_clock::now();
  if (!any_) return;
  try {
    store_.merge_key_sketch(flow_, stream_, utc_month(), pending_);
    pending_ = KeySketch();
    any_ = false;
  } catch (const std::exception& e) {
    log::warn(flow_ + "/" + stream_ + ": cannot record the keys it touched (ingestd usage will count fewer): " +
              e.what());
  }
}

}  // namespace ingestd
