// A plugin as one class: its members are its options, a static declare()
// says what it is, and INGESTD_PLUGIN_CLASS exports it.
//
// A source with one stream derives from RowSource and hands over one row at
// a time; the SDK builds the batches, cuts them at the flow's batch_rows and
// attaches checkpoint() to each. A destination derives from TableWriter, a
// transform from BatchTransformer.
// Every stream (or table) gets an object of its own, built and configured
// afresh, so members that track progress start from their initial values.
//
// For several streams, schemas learned at run time or control over batches,
// implement Instance and SourceStream (plugin.hpp) instead.
#pragma once

#include <ingestd/sdk/bound_options.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace ingestd::sdk {

namespace detail {
struct PluginClassAccess;
}

// The values of one row, appended in column order: row << id << name.
class Row {
 public:
  explicit Row(BatchBuilder& rows)
      : first_(rows.column_count() ? &rows.column(0) : nullptr), next_(first_), end_(first_ + rows.column_count()) {}

  Row& operator<<(int64_t v) {
    next().append_int(v);
    return *this;
  }
  Row& operator<<(int v) { return *this << static_cast<int64_t>(v); }
  Row& operator<<(double v) {
    next().append_double(v);
    return *this;
  }
  Row& operator<<(bool v) {
    next().append_bool(v);
    return *this;
  }
  Row& operator<<(std::string_view v) {
    next().append_string(v);
    return *this;
  }
  Row& operator<<(const std::string& v) { return *this << std::string_view(v); }
  Row& operator<<(const char* v) { return *this << std::string_view(v); }
  Row& operator<<(std::nullopt_t) {
    next().append_null();
    return *this;
  }
  template <class T>
  Row& operator<<(const std::optional<T>& v) {
    return v ? (*this << *v) : (*this << std::nullopt);
  }

  std::size_t values() const { return static_cast<std::size_t>(next_ - first_); }

 private:
  // Inlined into every append: the error is kept out of line.
  ColumnBuilder& next() {
    if (next_ == end_) [[unlikely]]
      too_many_values(static_cast<std::size_t>(end_ - first_));
    return *next_++;
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void too_many_values(std::size_t columns) {
    throw data_error("a row has more values than the stream's " + std::to_string(columns) + " columns");
  }

  ColumnBuilder* first_;
  ColumnBuilder* next_;
  ColumnBuilder* end_;
};

// What RowSource and TableWriter objects see of the host.
class PluginObject {
 public:
  // Logs, counters and cancellation (the stream's or table's once it is open).
  const Host& host() const { return host_; }
  // The run is stopping: long waits should end.
  bool cancelled() const { return host_.cancelled() || (owner_ && owner_->cancelled()); }

 private:
  friend struct detail::PluginClassAccess;
  Host host_;
  const Instance* owner_ = nullptr;
};

class RowSource : public PluginObject {
 public:
  static constexpr uint32_t kind = INGESTD_KIND_SOURCE;
  virtual ~RowSource() = default;

  // Before the first row. request.state is the last committed checkpoint.
  virtual void open(const StreamRequest& request) { (void)request; }
  // Appends the next row's values and returns true, or returns false at the end.
  virtual bool next_row(Row& row) = 0;
  // The state once the rows handed over so far are committed; sent with
  // every batch. nullopt: the stream keeps no state.
  virtual std::optional<std::string> checkpoint() { return std::nullopt; }
  // `ingestd check`: reach whatever the options point at.
  virtual void check() {}

};

class TableWriter : public PluginObject {
 public:
  static constexpr uint32_t kind = INGESTD_KIND_DESTINATION;
  virtual ~TableWriter() = default;

  // Before the first batch: request.table, request.schema, the load mode.
  virtual void open(const TableRequest& request) { (void)request; }
  // The stream's schema changed; the next batches follow `schema`.
  virtual void schema_changed(const Schema& schema) { (void)schema; }
  virtual void write(const BatchReader& batch) = 0;
  // Makes everything written so far durable. The flow's state is saved
  // only after this returns.
  virtual void commit() = 0;
  // complete: the load finished; otherwise drop what was not committed.
  virtual void close(bool complete) { (void)complete; }
  virtual void check() {}
};

class BatchTransformer : public PluginObject {
 public:
  static constexpr uint32_t kind = INGESTD_KIND_TRANSFORM;
  virtual ~BatchTransformer() = default;

  // Right after the options are read, when the flow file is loaded: throw
  // config_error for options that cannot work whatever the stream.
  virtual void check_options() {}
  // Before reshape: the stream and its run.
  virtual void open(const TransformRequest& request) { (void)request; }
  // The schema of what apply() returns for batches of `input`: once when
  // the stream opens, again whenever its schema changes. An input without
  // columns (a stream that does not know them yet) should give none either.
  virtual Schema reshape(const Schema& input) = 0;
  // Transforms a batch of the schema last given to reshape (see
  // StreamTransform::apply).
  virtual OwnedArray apply(OwnedArray batch) = 0;
  virtual void check() {}
};

// What a source's one stream is.
class StreamDeclaration {
 public:
  StreamDeclaration(std::string name, Schema schema) {
    info_.name = std::move(name);
    info_.schema = std::move(schema);
    info_.extract_modes = INGESTD_EXTRACT_SNAPSHOT;
  }
  StreamDeclaration& key(std::vector<std::string> columns) {
    info_.primary_key = std::move(columns);
    return *this;
  }
  // A column that only grows: incremental reads resume after its last value.
  StreamDeclaration& cursor(std::string column) {
    info_.cursor_candidates.push_back(std::move(column));
    info_.extract_modes |= INGESTD_EXTRACT_INCREMENTAL_APPENDS;
    return *this;
  }
  StreamDeclaration& extract_modes(uint32_t modes) {
    info_.extract_modes = modes;
    return *this;
  }
  // Never ends by itself (read until ingestd stops it).
  StreamDeclaration& continuous() {
    info_.continuous = true;
    return *this;
  }
  const StreamInfo& info() const { return info_; }

 private:
  StreamInfo info_;
};

template <class P>
class Declaration {
 public:
  Declaration& plugin(std::string name, std::string version, std::string description) {
    info_.name = std::move(name);
    info_.version = std::move(version);
    info_.description = std::move(description);
    return *this;
  }
  // Option `name`, received by `member`; its default is the member's
  // initial value. Chain .required(), .one_of({...}) in the same statement.
  template <class T>
  OptionSpec& option(std::string name, T P::*member, std::string description) {
    return options_.add(std::move(name), member, std::move(description));
  }
  // Sources: the one stream.
  StreamDeclaration& stream(std::string name, Schema schema) {
    stream_.emplace(std::move(name), std::move(schema));
    return *stream_;
  }
  // Destinations: the load modes written (default append).
  Declaration& load_modes(uint32_t modes) {
    info_.load_modes = modes;
    return *this;
  }

  PluginInfo info() const {
    PluginInfo p = info_;
    p.kinds = P::kind;
    p.options = options_.specs();
    if (stream_) p.extract_modes = stream_->info().extract_modes;
    if (P::kind == INGESTD_KIND_DESTINATION && p.load_modes == 0) p.load_modes = INGESTD_LOAD_APPEND;
    return p;
  }
  const StreamInfo& stream_info() const {
    if (!stream_) throw std::logic_error(info_.name + ": declare() names no stream");
    return stream_->info();
  }
  std::unique_ptr<P> configure(const CreateContext& context) const {
    auto p = std::make_unique<P>();
    options_.apply(*p, context);
    return p;
  }

 private:
  PluginInfo info_;
  BoundOptions<P> options_;
  std::optional<StreamDeclaration> stream_;
};

namespace detail {

template <class P>
const Declaration<P>& declaration() {
  static const Declaration<P> d = [] {
    Declaration<P> out;
    P::declare(out);
    return out;
  }();
  return d;
}

struct PluginClassAccess {
  static void attach(PluginObject& p, const Host& host, const Instance& owner) {
    p.host_ = host;
    p.owner_ = &owner;
  }
};

template <class P>
class RowStream : public SourceStream {
 public:
  RowStream(std::unique_ptr<P> source, const StreamRequest& request, const Schema& schema, const Instance& owner)
      : source_(std::move(source)),
        schema_(schema),
        rows_(schema),
        batch_rows_(request.batch_rows > 0 ? request.batch_rows : INGESTD_DEFAULT_BATCH_ROWS) {
    PluginClassAccess::attach(*source_, request.host, owner);
    source_->open(request);
  }
  Schema schema() override { return schema_; }
  bool next(Batch& out) override {
    if (ended_) return false;
    if (source_->cancelled()) throw cancelled_error();
    int64_t complete = 0;
    rows_.reserve(batch_rows_);
    while (complete < batch_rows_) {
      Row row(rows_);
      if (!source_->next_row(row)) {
        ended_ = true;
        rows_.truncate(complete);  // a row left half-written is not one
        break;
      }
      if (row.values() != rows_.column_count())
        throw data_error("a row has " + std::to_string(row.values()) + " values; the stream has " +
                         std::to_string(rows_.column_count()) + " columns");
      ++complete;
    }
    if (complete == 0) return false;
    out.array = rows_.finish();
    out.checkpoint = source_->checkpoint();
    return true;
  }

 private:
  std::unique_ptr<P> source_;
  Schema schema_;
  BatchBuilder rows_;
  int64_t batch_rows_;
  bool ended_ = false;
};

// The instance of a plugin class: its options checked once at create, and a
// freshly configured object for every stream or table.
template <class P>
class ClassInstance : public Instance {
 public:
  explicit ClassInstance(CreateContext context)
      : context_(std::move(context)), configured_(declaration<P>().configure(context_)) {
    PluginClassAccess::attach(*configured_, context_.host, *this);
  }
  void check() override { configured_->check(); }

 protected:
  std::unique_ptr<P> configure() const { return declaration<P>().configure(context_); }

 private:
  CreateContext context_;
  std::unique_ptr<P> configured_;
};

template <class P>
class RowSourceInstance : public ClassInstance<P> {
 public:
  using ClassInstance<P>::ClassInstance;
  std::vector<StreamInfo> discover() override { return {declaration<P>().stream_info()}; }
  std::unique_ptr<SourceStream> open_stream(const StreamRequest& request) override {
    const StreamInfo& s = declaration<P>().stream_info();
    if (request.stream != s.name)
      throw config_error("no stream '" + request.stream + "' (this source has '" + s.name + "')");
    return std::make_unique<RowStream<P>>(this->configure(), request, s.schema, *this);
  }
};

template <class P>
class WriterTable : public DestinationTable {
 public:
  WriterTable(std::unique_ptr<P> writer, const TableRequest& request, const Instance& owner)
      : writer_(std::move(writer)) {
    PluginClassAccess::attach(*writer_, request.host, owner);
    writer_->open(request);
  }
  void schema_changed(const Schema& schema) override { writer_->schema_changed(schema); }
  void write(const BatchReader& batch) override { writer_->write(batch); }
  void commit(uint64_t) override { writer_->commit(); }
  void close(bool complete) override { writer_->close(complete); }

 private:
  std::unique_ptr<P> writer_;
};

template <class P>
class TableWriterInstance : public ClassInstance<P> {
 public:
  using ClassInstance<P>::ClassInstance;
  std::unique_ptr<DestinationTable> open_table(const TableRequest& request) override {
    return std::make_unique<WriterTable<P>>(this->configure(), request, *this);
  }
};

template <class P>
class ClassTransform : public StreamTransform {
 public:
  ClassTransform(std::unique_ptr<P> transformer, const TransformRequest& request, const Instance& owner)
      : transformer_(std::move(transformer)) {
    PluginClassAccess::attach(*transformer_, request.host, owner);
    transformer_->open(request);
  }
  Schema reshape(const Schema& input) override { return transformer_->reshape(input); }
  OwnedArray apply(OwnedArray batch) override { return transformer_->apply(std::move(batch)); }

 private:
  std::unique_ptr<P> transformer_;
};

template <class P>
class TransformerInstance : public ClassInstance<P> {
 public:
  explicit TransformerInstance(CreateContext context) : ClassInstance<P>(std::move(context)) {
    this->configure()->check_options();
  }
  std::unique_ptr<StreamTransform> open_transform(const TransformRequest& request) override {
    return std::make_unique<ClassTransform<P>>(this->configure(), request, *this);
  }
};

template <class P>
std::unique_ptr<Instance> create_plugin_class(const CreateContext& context) {
  static_assert(std::is_base_of_v<RowSource, P> || std::is_base_of_v<TableWriter, P> ||
                    std::is_base_of_v<BatchTransformer, P>,
                "INGESTD_PLUGIN_CLASS takes a RowSource, a TableWriter or a BatchTransformer");
  if constexpr (std::is_base_of_v<RowSource, P>)
    return std::make_unique<RowSourceInstance<P>>(context);
  else if constexpr (std::is_base_of_v<TableWriter, P>)
    return std::make_unique<TableWriterInstance<P>>(context);
  else
    return std::make_unique<TransformerInstance<P>>(context);
}

}  // namespace detail
}  // namespace ingestd::sdk

// Exports a RowSource, TableWriter or BatchTransformer class as the plugin of
// this shared object.
#define INGESTD_PLUGIN_CLASS(Class)                                                          \
  namespace {                                                                                \
  ::ingestd::sdk::PluginInfo ingestd_describe_class_() {                                     \
    return ::ingestd::sdk::detail::declaration<Class>().info();                              \
  }                                                                                          \
  }                                                                                          \
  INGESTD_PLUGIN(ingestd_describe_class_, ::ingestd::sdk::detail::create_plugin_class<Class>)
