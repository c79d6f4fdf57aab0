#include "pump/transform_chain.hpp"

namespace ingestd {

TransformChain::TransformChain(const std::vector<PluginInstance*>& transforms, TransformOpenRequest request) {
  for (PluginInstance* t : transforms) {
    opened_.push_back(t->open_transform(request));
    request.schema = opened_.back()->schema();
  }
}

void TransformChain::apply(RecordBatch& batch) {
  for (auto& t : opened_) t->apply(batch);
}

sdk::Schema transformed_schema(const std::vector<PluginInstance*>& transforms, const std::string& stream,
                               const sdk::Schema& input) {
  TransformOpenRequest request;
  request.stream = stream;
  request.schema = std::make_shared<const sdk::Schema>(input);
  if (transforms.empty()) return input;
  return *TransformChain(transforms, request).schema();
}

sdk::Schema FlowTransforms::schema_after(const std::string& stream, const sdk::Schema& input) {
  std::vector<PluginInstance*> chain;
  for (const ComponentPlan* t : flow_.transforms_for(stream)) {
    auto& made = instances_[t];
    if (!made)
      made = std::make_unique<PluginInstance>(*t->plugin, t->def->name, t->role, t->options, plan_.file.dir,
                                              &cancelled_, t->where());
    chain.push_back(made.get());
  }
  return transformed_schema(chain, stream, input);
}

void check_keys_kept(const sdk::Schema& output, const std::vector<std::string>& keys, const std::string& stream) {
  if (output.fields.empty()) return;
  for (const auto& key : keys) {
    if (output.index_of(key) >= 0) continue;
    std::string columns;
    for (const auto& f : output.fields) columns += (columns.empty() ? "" : ", ") + f.name;
    throw sdk::Error(INGESTD_ERROR_CONFIG, "stream '" + stream + "': its transforms leave no column '" + key +
                                               "', which the merge load's primary key needs (columns after the "
                                               "transforms: " + columns + ")",
                     INGESTD_RETRY_CONFIG);
  }
}

}  // namespace ingestd
