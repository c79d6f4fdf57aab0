// A source's catalog (streams, schemas, keys, cursor candidates, and each
// stream's own catalog entry) kept in the state store, so that a run with
// nothing new asks the source nothing before it reads: no discover request
// per HTTP stream, no `discover` process of a connector. The source is asked
// again when the run asks for it (--rediscover), when the source's settings
// changed (a fingerprint of its plugin, version and options with secrets left
// out), when the flow names a stream the kept catalog lacks, and on the run
// after a stream reported a schema change.
#pragma once

#include "loader/plugin_instance.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct ComponentPlan;
class StateStore;

struct SourceCatalog {
  std::vector<CatalogStream> streams;
  bool listed = true;  // false: the source cannot list its streams
  bool kept = false;   // true: from the state store, not asked of the source
};

// The fingerprint the kept catalog of `source` must match.
std::string catalog_fingerprint(const ComponentPlan& source);

std::string catalog_to_json(const std::vector<CatalogStream>& streams);
// nullopt when the text is not a catalog this version wrote.
std::optional<std::vector<CatalogStream>> catalog_from_json(const std::string& text);

// The kept catalog of `source` when there is one for its settings now (and
// `rediscover` is false); otherwise the source's discover, which is then kept.
SourceCatalog source_catalog(const ComponentPlan& source, PluginInstance& instance, StateStore& store,
                             bool rediscover);
// Asks the source and keeps what it says.
SourceCatalog discover_and_keep(const ComponentPlan& source, PluginInstance& instance, StateStore& store);

}  // namespace ingestd
