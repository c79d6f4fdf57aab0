#include <ingestd/kit/http/endpoint_stream.hpp>

#include <ingestd/kit/typing/cursor.hpp>
#include <ingestd/kit/typing/json_rows.hpp>
#include <ingestd/kit/typing/records_at_cursor.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>

namespace ingestd::kit::http {

using namespace ingestd::sdk;
namespace dom = simdjson::dom;
using kit::typing::ColumnSet;
using kit::typing::JsonRowAppender;
using kit::typing::compare_cursors;
using kit::typing::cursor_minus;

namespace {

// A batch leaves at a page boundary once it is this old, so that slow APIs
// still checkpoint now and then.
constexpr auto kMaxBatchAge = std::chrono::seconds(5);

class EndpointStream : public SourceStream {
 public:
  EndpointStream(std::shared_ptr<const Api> api, EndpointSpec spec, const StreamRequest& r, const Instance& owner)
      : api_(std::move(api)),
        spec_(std::move(spec)),
        host_(r.host),
        owner_(owner),
        session_(api_, spec_.stream, r.host, [this] { return owner_.cancelled() || host_.cancelled(); }),
        batch_rows_(r.batch_rows),
        columns_(declared_columns(spec_)) {
    if (spec_.partitions.empty()) throw config_error("stream '" + spec_.stream + "' has nothing to request");
    cursor_field_ = r.cursor_field.empty() ? spec_.cursor_field : r.cursor_field;
    incremental_ = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT;
    if (incremental_ && cursor_field_.empty())
      throw config_error("stream '" + spec_.stream + "': incremental extract modes need a cursor (set cursor in the flow)");
    lookback_ms_ = r.settings.lookback_ms.value_or(0);
    lookback_units_ = r.settings.lookback && r.settings.lookback->is_number() ? r.settings.lookback->as_double() : 0;
    start_ = r.settings.start && r.settings.start->is_string() ? r.settings.start->as_string() : "";
    if (incremental_ && r.state) load_state(*r.state);
    columns_.add_declared();
    columns_.report_widenings_to(host_, spec_.stream);
    start_partition(0);
    int64_t sampled = 0;
    for (const auto& rec : records_)
      if (sampled++ < spec_.sample_records) kit::typing::sample_object(rec, columns_);
    schema_ = columns_.schema();
    builder_ = std::make_unique<BatchBuilder>(schema_);
    bind_fixed();
    batch_started_ = std::chrono::steady_clock::now();
  }

  Schema schema() override { return schema_; }

  bool next(Batch& out) override {
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!take_records(out)) return true;  // a batch left mid-page
      if (page_open_) {
        page_open_ = false;
        page_done();
        if (!next_url_) partition_done();
        if (builder_->rows() >= batch_rows_ ||
            ((builder_->rows() > 0 || checkpoint_due_) &&
             std::chrono::steady_clock::now() - batch_started_ >= kMaxBatchAge)) {
          emit(out, true);
          return true;
        }
      }
      if (next_url_) {
        fetch(*next_url_);
        continue;
      }
      if (part_index_ + 1 < spec_.partitions.size()) {
        start_partition(part_index_ + 1);
        bind_fixed();
        continue;
      }
      if (builder_->rows() > 0 || checkpoint_due_) {
        emit(out, true);
        return true;
      }
      return false;
    }
  }

 private:
  static std::vector<kit::typing::DeclaredColumn> declared_columns(const EndpointSpec& spec) {
    std::vector<kit::typing::DeclaredColumn> d = spec.columns;
    if (!spec.partitions.empty())
      for (const auto& [name, value] : spec.partitions[0].columns) {
        (void)value;
        bool known = false;
        for (const auto& c : d) known = known || c.name == name;
        if (!known) d.push_back({name, DataType(TypeId::Utf8)});
      }
    return d;
  }

  void load_state(const std::string& text) {
    json::Value v;
    try {
      v = json::Value::parse(text);
    } catch (const std::exception& e) {
      throw data_error("stream '" + spec_.stream + "': the saved state is not JSON: " + e.what());
    }
    if (v["cursors"].is_object())
      for (const auto& [key, value] : v["cursors"].as_object())
        if (value.is_string()) cursors_[key] = value.as_string();
    if (v["at_cursor"].is_object())
      for (const auto& [key, list] : v["at_cursor"].as_object())
        if (list.is_array())
          for (const auto& fp : list.as_array())
            if (fp.is_string()) at_cursor_[key].insert(fp.as_string());
  }

  // {"cursors": {partition: cursor}, "at_cursor": {partition: [fingerprints]}}
  std::string state_json() const {
    json::Object cursors, at_cursor;
    for (const auto& [key, value] : cursors_) cursors.set(key, json::Value(value));
    for (const auto& [key, fps] : at_cursor_) {
      if (fps.empty()) continue;
      json::Array list;
      for (const auto& fp : fps) list.push_back(json::Value(fp));
      at_cursor.set(key, json::Value(std::move(list)));
    }
    json::Object o;
    o.set("cursors", json::Value(std::move(cursors)));
    if (!at_cursor.empty()) o.set("at_cursor", json::Value(std::move(at_cursor)));
    return json::Value(std::move(o)).dump();
  }

  void start_partition(std::size_t index) {
    part_index_ = index;
    const Partition& p = spec_.partitions[index];
    bound_.reset();
    QueryParams params = p.params;
    if (incremental_) {
      auto saved = cursors_.find(p.key);
      at_cursor_tracker_.restore(saved != cursors_.end() ? std::optional<std::string>(saved->second) : std::nullopt,
                                 at_cursor_[p.key]);
      std::string from = saved != cursors_.end() ? saved->second : start_;
      if (!from.empty()) {
        bound_ = cursor_minus(from, lookback_ms_, lookback_units_);
        if (!spec_.cursor_param.empty()) params.emplace_back(spec_.cursor_param, *bound_);
      }
    }
    std::string url = resolve_url(api_->base_url + "/", p.path.empty() || p.path[0] != '/' ? p.path : p.path.substr(1));
    paginator_ = std::make_unique<Paginator>(spec_.pagination, with_query(url, params));
    fetch(paginator_->first_url());
  }

  void fetch(const std::string& url) {
    Response resp = session_.get(url);
    url_ = url;
    body_ = std::move(resp.body);
    dom::element doc;
    if (auto err = parser_.parse(body_).get(doc))
      throw data_error("GET " + url_ + ": the response is not JSON: " + simdjson::error_message(err));
    records_.clear();
    dom::element selected = doc;
    if (!spec_.records_path.empty() && doc.at_pointer(spec_.records_path).get(selected))
      throw data_error("GET " + url_ + ": no records at '" + spec_.records_path + "' in the response");
    if (selected.type() == dom::element_type::ARRAY) {
      std::size_t i = 0;
      for (dom::element e : dom::array(selected)) {
        ++i;
        if (e.type() != dom::element_type::OBJECT)
          throw data_error("GET " + url_ + ": record " + std::to_string(i) + " is not a JSON object");
        records_.push_back(dom::object(e));
      }
    } else if (selected.type() == dom::element_type::OBJECT) {
      records_.push_back(dom::object(selected));
    } else if (selected.type() != dom::element_type::NULL_VALUE) {
      throw data_error("GET " + url_ + ": the records are neither an array nor an object");
    }
    pos_ = 0;
    page_open_ = true;
    next_url_ = paginator_->next_url(resp, doc, records_.size());
    host_.count("http_pages", 1);
  }

  // Appends the current page's remaining records; false when a batch had to
  // leave first (new columns), filled into `out`.
  bool take_records(Batch& out) {
    while (pos_ < records_.size()) {
      const dom::object& rec = records_[pos_];
      if (incremental_ && !cursor_field_.empty()) {
        std::string value = kit::typing::cursor_of(rec, cursor_field_);
        if (!value.empty()) {
          if (bound_ && compare_cursors(value, *bound_) < 0) {
            ++pos_;
            host_.count("records_filtered", 1);
            continue;
          }
          if (at_cursor_tracker_.seen_before(rec, value)) {
            // The API answers from the saved cursor inclusively: a record
            // delivered at it last time, unchanged, is not delivered again.
            ++pos_;
            host_.count("records_seen_before", 1);
            continue;
          }
        }
      }
      switch (appender_.append(rec, columns_, *builder_, fixed_)) {
        case JsonRowAppender::Result::Appended: ++pos_; break;
        case JsonRowAppender::Result::ColumnsChanged:
          if (builder_->rows() > 0) {
            emit(out, false);
            return false;
          }
          follow_columns();
          break;
        case JsonRowAppender::Result::Rejected:
          throw data_error("GET " + url_ + ": record " + std::to_string(pos_ + 1) + ": " + appender_.reason());
      }
    }
    return true;
  }

  void advance_cursor() {
    const auto& newest = at_cursor_tracker_.newest();
    if (!newest) return;
    const std::string& key = spec_.partitions[part_index_].key;
    auto it = cursors_.find(key);
    if (it != cursors_.end() && compare_cursors(*newest, it->second) < 0) return;
    auto& known = at_cursor_[key];
    if (it != cursors_.end() && it->second == *newest && known == at_cursor_tracker_.at_newest()) return;
    cursors_[key] = *newest;
    known = at_cursor_tracker_.at_newest();
    checkpoint_due_ = true;
  }

  void page_done() {
    if (incremental_ && spec_.ascending) advance_cursor();
  }

  void partition_done() {
    if (incremental_) advance_cursor();
  }

  void bind_fixed() {
    fixed_.clear();
    for (const auto& [name, value] : spec_.partitions[part_index_].columns) {
      int c = columns_.find(name);
      if (c >= 0) fixed_.push_back({static_cast<std::size_t>(c), value});
    }
  }

  void follow_columns() {
    Schema now = columns_.schema();
    if (now == schema_) return;
    schema_ = std::move(now);
    builder_ = std::make_unique<BatchBuilder>(schema_);
    announce_ = true;
  }

  // `at_page_end`: every record of the pages so far is in the batch, so it
  // may carry the checkpoint.
  void emit(Batch& out, bool at_page_end) {
    out.array = builder_->finish();
    if (announce_) {
      out.new_schema = schema_;
      announce_ = false;
    }
    if (at_page_end && checkpoint_due_) {
      out.checkpoint = state_json();
      checkpoint_due_ = false;
    }
    follow_columns();
    batch_started_ = std::chrono::steady_clock::now();
  }

  std::shared_ptr<const Api> api_;
  EndpointSpec spec_;
  Host host_;
  const Instance& owner_;
  Session session_;
  int64_t batch_rows_;

  bool incremental_ = false;
  std::string cursor_field_;
  int64_t lookback_ms_ = 0;
  double lookback_units_ = 0;
  std::string start_;
  std::map<std::string, std::string> cursors_;  // by partition key, as saved with the next checkpoint
  std::map<std::string, std::set<std::string>> at_cursor_;  // fingerprints of the records at each cursor
  bool checkpoint_due_ = false;

  std::size_t part_index_ = 0;
  std::optional<std::string> bound_;     // records before it are dropped
  kit::typing::RecordsAtCursor at_cursor_tracker_;  // the partition's newest cursor and the records at it
  std::unique_ptr<Paginator> paginator_;

  std::string url_;
  std::string body_;
  dom::parser parser_;
  std::vector<dom::object> records_;
  std::size_t pos_ = 0;
  bool page_open_ = false;
  std::optional<std::string> next_url_;

  ColumnSet columns_;
  Schema schema_;
  std::unique_ptr<BatchBuilder> builder_;
  bool announce_ = false;
  JsonRowAppender appender_;
  std::vector<JsonRowAppender::Fixed> fixed_;
  std::chrono::steady_clock::time_point batch_started_;
};

}  // namespace

std::unique_ptr<SourceStream> open_endpoint_stream(std::shared_ptr<const Api> api, EndpointSpec spec,
                                                   const StreamRequest& request, const Instance& owner) {
  return std::make_unique<EndpointStream>(std::move(api), std::move(spec), request, owner);
}

StreamInfo discover_endpoint(std::shared_ptr<const Api> api, const EndpointSpec& spec, const Host& host,
                             const Instance& owner) {
  StreamRequest r;
  r.stream = spec.stream;
  r.host = host;
  StreamInfo info;
  info.name = spec.stream;
  info.schema = EndpointStream(std::move(api), spec, r, owner).schema();
  info.primary_key = spec.primary_key;
  info.cursor_required = spec.cursor_field.empty();
  if (!spec.cursor_field.empty()) info.cursor_candidates = {spec.cursor_field};
  return info;
}

}  // namespace ingestd::kit::http
