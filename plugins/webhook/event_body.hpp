// The events a request body holds, taken apart before anything is answered.
#pragma once

#include <string>
#include <vector>

namespace ingestd::plugins::webhook {

// The events of a body: one object, an array of objects, or one object per
// line. Returns an error message, or "" with `out` filled (minified).
std::string split_events(const std::string& body, std::vector<std::string>& out);

}  // namespace ingestd::plugins::webhook
