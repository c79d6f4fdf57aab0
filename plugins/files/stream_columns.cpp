#include "stream_columns.hpp"

#include "dead_letter.hpp"
#include "file_progress.hpp"

namespace files {

using namespace ingestd::sdk;

int ColumnSet::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : static_cast<int>(it->second);
}

std::size_t ColumnSet::add(std::string_view name) {
  Column c;
  c.name = std::string(name);
  if (const DeclaredColumn* d = o_.declared(c.name)) {
    c.declared = true;
    c.declared_type = d->type;
  }
  cols_.push_back(c);
  index_.emplace(c.name, cols_.size() - 1);
  return cols_.size() - 1;
}

std::size_t ColumnSet::index_or_add(std::string_view name) {
  int i = find(name);
  return i < 0 ? add(name) : static_cast<std::size_t>(i);
}

Schema ColumnSet::schema() const {
  Schema s;
  for (const auto& c : cols_) s.fields.push_back({c.name, c.type(), true});
  return s;
}

BatchAssembler::BatchAssembler(const ColumnSet& columns, DeadLetter& dead_letter, FileProgress* progress)
    : columns_(columns), dead_letter_(dead_letter), progress_(progress), schema_(columns.schema()),
      builder_(std::make_unique<BatchBuilder>(schema_)) {}

void BatchAssembler::follow_columns() {
  Schema now = columns_.schema();
  if (now == schema_) return;
  schema_ = std::move(now);
  builder_ = std::make_unique<BatchBuilder>(schema_);
  announce_ = true;
}

bool BatchAssembler::finish(Batch& out) {
  if (builder_->rows() == 0 && !checkpoint_due_) {
    follow_columns();
    return false;
  }
  out.array = builder_->finish();
  if (announce_) {
    out.new_schema = schema_;
    announce_ = false;
  }
  if (checkpoint_due_) {
    out.checkpoint = progress_->checkpoint();
    checkpoint_due_ = false;
  }
  dead_letter_.flush();
  follow_columns();
  return true;
}

bool BatchAssembler::finish_file(Batch& out, const std::string& path) {
  skip_file(path);
  return finish(out);
}

void BatchAssembler::skip_file(const std::string& path) {
  progress_->complete(path);
  checkpoint_due_ = true;
}

}  // namespace files
