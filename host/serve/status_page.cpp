#include "serve/status_page.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace ingestd {

namespace {

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string text_of(const json::Value& v, const char* none = "-") {
  if (v.is_string()) return escape(v.as_string());
  if (v.is_int()) return std::to_string(v.as_int());
  return none;
}

std::string number(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string age(const json::Value& seconds) {
  if (!seconds.is_number()) return "never";
  const auto s = static_cast<int64_t>(seconds.as_double());
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < 172800) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

// green while under half its freshness, amber up to it, red past it; grey without one.
std::string freshness_class(const json::Value& f) {
  if (f["stale"].is_bool() && f["stale"].as_bool()) return "red";
  if (!f["freshness"].is_string() || !f["age_seconds"].is_number()) return "grey";
  const double limit = std::atof(f["freshness"].as_string().c_str());
  return f["age_seconds"].as_double() < limit / 2 ? "green" : "amber";
}

// Rows per run as bars (flagged runs red, failed ones grey), run duration as
// a line on its own scale, over the recent history.
std::string chart(const json::Value& flow) {
  const json::Value& history = flow["history"];
  if (!history.is_array() || history.as_array().empty()) return "<p class=\"muted\">no runs yet</p>";
  const auto& runs = history.as_array();
  const double width = 560, height = 120, pad = 24;
  double max_rows = 1, max_seconds = 0.001;
  for (const json::Value& r : runs) {
    max_rows = std::max(max_rows, static_cast<double>(r["rows"].as_int()));
    if (r["seconds"].is_number()) max_seconds = std::max(max_seconds, r["seconds"].as_double());
  }
  const double slot = (width - 2 * pad) / static_cast<double>(runs.size());
  std::string svg = "<svg class=\"chart\" role=\"img\" aria-label=\"rows and duration per run of flow " +
                    escape(flow["name"].as_string()) + "\" viewBox=\"0 0 " + number(width, 0) + " " +
                    number(height, 0) + "\" width=\"" + number(width, 0) + "\" height=\"" + number(height, 0) + "\">";
  svg += "<line x1=\"" + number(pad, 0) + "\" y1=\"" + number(height - pad, 0) + "\" x2=\"" + number(width - pad, 0) +
         "\" y2=\"" + number(height - pad, 0) + "\" class=\"axis\"/>";
  std::string line;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const json::Value& r = runs[i];
    const double rows = static_cast<double>(r["rows"].as_int());
    const double h = (height - 2 * pad) * rows / max_rows;
    const double x = pad + slot * static_cast<double>(i);
    const std::string kind = r["flagged"].as_bool() ? "flagged" : r["status"].as_string() == "ok" ? "bar" : "failedbar";
    svg += "<rect class=\"" + kind + "\" x=\"" + number(x + slot * 0.1, 1) + "\" y=\"" + number(height - pad - h, 1) +
           "\" width=\"" + number(slot * 0.8, 1) + "\" height=\"" + number(std::max(h, 1.0), 1) + "\"><title>" +
           escape(r["started_at"].as_string()) + ": " + std::to_string(r["rows"].as_int()) + " rows" +
           (r["seconds"].is_number() ? ", " + number(r["seconds"].as_double(), 2) + " s" : "") +
           (r["flagged"].as_bool() ? " (flagged)" : "") + "</title></rect>";
    if (r["seconds"].is_number())
      line += number(x + slot / 2, 1) + "," +
              number(height - pad - (height - 2 * pad) * r["seconds"].as_double() / max_seconds, 1) + " ";
  }
  if (!line.empty()) svg += "<polyline class=\"duration\" points=\"" + line + "\"/>";
  svg += "<text x=\"" + number(pad, 0) + "\" y=\"14\" class=\"legend\">rows per run (max " +
         std::to_string(static_cast<int64_t>(max_rows)) + ") — duration line (max " + number(max_seconds, 2) +
         " s)</text></svg>";
  return svg;
}

const char* kStyle = R"css(
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2330;background:#f6f7f9}
h1{font-size:1.3rem;margin:0 0 .3rem}.muted{color:#6b7280}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e5e7eb;font-size:.9rem;vertical-align:top}
.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.3rem}
.green .dot{background:#16a34a}.amber .dot{background:#d97706}.red .dot{background:#dc2626}.grey .dot{background:#9ca3af}
.state-failed{color:#dc2626;font-weight:600}.state-running{color:#2563eb}.flow{background:#fff;margin:1rem 0;padding:.8rem 1rem;border:1px solid #e5e7eb}
h3{margin:0 0 .4rem;font-size:1rem}.chart{display:block}.chart .bar{fill:#60a5fa}.chart .flagged{fill:#dc2626}.chart .failedbar{fill:#9ca3af}.chart .duration{fill:none;stroke:#111827;stroke-width:1.5}
.chart .axis{stroke:#9ca3af}.chart .legend{font-size:10px;fill:#6b7280}.error{color:#b91c1c;font-family:monospace;font-size:.8rem;white-space:pre-wrap}
.reload-failed{color:#dc2626}
)css";

}  // namespace

std::string status_page_html(const json::Value& status) {
  std::string html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta http-equiv=\"refresh\" content=\"5\"><title>ingestd serve</title><style>";
  html += kStyle;
  html += "</style></head><body><h1>ingestd serve</h1><p class=\"muted\">" + text_of(status["flow_file"]) +
          " · started " + text_of(status["started_at"]) + " · at most " + text_of(status["max_concurrent_runs"]) +
          " runs at once · refreshes every 5 s</p>";
  const json::Value& reload = status["last_reload"];
  if (reload.is_object())
    html += std::string("<p id=\"reload\" class=\"") + (reload["ok"].as_bool() ? "reload-ok" : "reload-failed") +
            "\">last reload " + text_of(reload["at"]) + ": " +
            (reload["ok"].as_bool() ? text_of(reload["message"]) : "refused: " + text_of(reload["error"])) + "</p>";
  const json::Value& cluster = status["cluster"];
  if (cluster.is_object()) {
    std::string units;
    for (const json::Value& u : cluster["units"].as_array())
      units += (units.empty() ? "" : ", ") + text_of(u["flow"]) + "/" + text_of(u["stream"]) + " (epoch " +
               text_of(u["epoch"]) + ")";
    html += "<p id=\"cluster\">worker " + text_of(cluster["worker_id"]) + " of a pool of " +
            text_of(cluster["live_workers"]) + " live worker(s)" +
            (cluster["agreed"].as_bool() ? "" : ", <strong>which run different flow files</strong>") + " · holds " +
            text_of(cluster["units_owned"]) + " unit(s)" + (units.empty() ? "" : ": " + units) + "</p>";
  }
  html += "<table id=\"flows\"><thead><tr><th>flow</th><th>state</th><th>schedule</th><th>freshness</th>"
          "<th>last run</th><th>next run</th></tr></thead><tbody>";
  std::string details, errors;
  for (const json::Value& f : status["flows"].as_array()) {
    const std::string name = escape(f["name"].as_string());
    const json::Value& last = f["last_run"];
    const std::string fresh = freshness_class(f);
    std::string freshness = "<span class=\"" + fresh + "\" data-stale=\"" +
                            (f["stale"].is_bool() && f["stale"].as_bool() ? "true" : "false") +
                            "\"><span class=\"dot\"></span>" +
                            (fresh == "red" ? "stale" : fresh == "grey" ? "no check" : "fresh") + "</span> · " +
                            (f["age_seconds"].is_number() ? "data " + age(f["age_seconds"]) + " old" : "no data yet") +
                            (f["freshness"].is_string() ? " (limit " + escape(f["freshness"].as_string()) + ")" : "");
    html += "<tr class=\"flow-row\" data-flow=\"" + name + "\"><td><a href=\"#flow-" + name + "\">" + name +
            "</a></td><td class=\"state-" + escape(f["state"].as_string()) + "\">" + escape(f["state"].as_string()) +
            "</td><td>" + text_of(f["schedule"], "once at start") + "</td><td>" + freshness + "</td><td>" +
            (last.is_object() ? text_of(last["status"]) + " " + text_of(last["ended_at"]) + " · " +
                                    text_of(last["rows"]) + " rows"
                              : "-") +
            "</td><td>" + text_of(f["next_run"]) + "</td></tr>";
    details += "<div class=\"flow\" id=\"flow-" + name + "\"><h3>" + name + "</h3>" + chart(f);
    if (f["streams"].is_array())
      for (const json::Value& s : f["streams"].as_array())
        details += "<p class=\"live-stream\">" + text_of(s["stream"]) + ": " + text_of(s["rows"]) + " rows this run" +
                   (s["cdc_received"].is_string() ? " · received up to " + text_of(s["cdc_received"]) : "") +
                   (s["cdc_lag_bytes"].is_number() ? " · " + text_of(s["cdc_lag_bytes"]) + " bytes of log held" : "") +
                   "</p>";
    if (f["flags"].is_array())
      for (const json::Value& flag : f["flags"].as_array())
        details += "<p class=\"flag\">⚑ " + text_of(flag["at"]) + " " + text_of(flag["stream"]) + ": " +
                   text_of(flag["message"]) + "</p>";
    details += "</div>";
    if (last.is_object() && last["error"].is_string())
      errors += "<li><strong>" + name + "</strong> " + text_of(last["ended_at"]) + "<div class=\"error\">" +
                escape(last["error"].as_string()) + "</div></li>";
  }
  html += "</tbody></table>";
  if (!errors.empty()) html += "<h2>Last errors</h2><ul id=\"errors\">" + errors + "</ul>";
  html += details + "</body></html>";
  return html;
}

}  // namespace ingestd
