// The transforms of one stream, opened in order: each is given the schema the
// one before it produces, and a batch passes through all of them before any
// destination sees it.
#pragma once

#include "loader/plugin_instance.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ingestd {

class TransformChain {
 public:
  // Opens every transform for `stream`, whose batches follow `input`.
  // Throws sdk::Error naming the transform that refused.
  TransformChain(const std::vector<PluginInstance*>& transforms, TransformOpenRequest request);

  bool empty() const { return opened_.empty(); }
  // The schema of what comes out of the last transform.
  std::shared_ptr<sdk::OwnedSchema> arrow_schema() const { return opened_.back()->arrow_schema(); }
  std::shared_ptr<const sdk::Schema> schema() const { return opened_.back()->schema(); }
  // Passes the batch through every transform.
  void apply(RecordBatch& batch);

 private:
  std::vector<std::unique_ptr<OpenTransform>> opened_;
};

// The schema a stream of `input` has after `transforms` (validate and
// discover): opens them on the calling thread and closes them again.
sdk::Schema transformed_schema(const std::vector<PluginInstance*>& transforms, const std::string& stream,
                               const sdk::Schema& input);

// Throws sdk::Error (INGESTD_ERROR_CONFIG) when `keys`, the primary key a
// merge load needs, are not all columns of `output`, what the transforms of
// `stream` produce. An output without columns (not known yet) passes.
void check_keys_kept(const sdk::Schema& output, const std::vector<std::string>& keys, const std::string& stream);

}  // namespace ingestd
