// The transforms of one stream, opened in order: each is given the schema the
// one before it produces, and a batch passes through all of them before any
// destination sees it.
#pragma once

#include "config/plan.hpp"
#include "loader/plugin_instance.hpp"

#include <atomic>
#include <map>
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

// The schema a stream of `input` has after `transforms`: opens them on the
// calling thread and closes them again.
sdk::Schema transformed_schema(const std::vector<PluginInstance*>& transforms, const std::string& stream,
                               const sdk::Schema& input);

// A flow's transforms outside a run (validate, discover): each created once,
// when a stream first needs it.
class FlowTransforms {
 public:
  FlowTransforms(const Plan& plan, const FlowPlan& flow) : plan_(plan), flow_(flow) {}
  bool any_for(const std::string& stream) const { return !flow_.transforms_for(stream).empty(); }
  // The columns stream `stream`, read as `input`, has after its transforms.
  // Throws what a transform throws (its mistakes name where it is defined).
  sdk::Schema schema_after(const std::string& stream, const sdk::Schema& input);

 private:
  const Plan& plan_;
  const FlowPlan& flow_;
  std::atomic<bool> cancelled_{false};
  std::map<const ComponentPlan*, std::unique_ptr<PluginInstance>> instances_;
};

// Throws sdk::Error (INGESTD_ERROR_CONFIG) when `keys`, the primary key a
// merge load needs, are not all columns of `output`, what the transforms of
// `stream` produce. An output without columns (not known yet) passes.
void check_keys_kept(const sdk::Schema& output, const std::vector<std::string>& keys, const std::string& stream);

}  // namespace ingestd
