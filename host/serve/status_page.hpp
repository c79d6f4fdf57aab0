// GET / of the admin endpoint: the daemon's /status as a page a person reads
// at a glance. Self-contained (no script, no font or chart library fetched):
// the charts are SVG drawn here, and the page refreshes itself.
#pragma once

#include <ingestd/sdk/json.hpp>

#include <string>

namespace ingestd {

// `status` as Daemon::status() returns it.
std::string status_page_html(const json::Value& status);

}  // namespace ingestd
