// Who watches a run from outside while it goes (the metrics of `ingestd
// serve`). Called on the thread that runs the plan.
#pragma once

namespace ingestd {

struct RunStats;
struct RunRecord;

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Once the run's streams are known, before they start; `run` is then
  // updated live until finished() is called.
  virtual void started(const RunStats& run) = 0;
  // After every stream ended and the run was recorded.
  virtual void finished(const RunStats& run, const RunRecord& record) = 0;
};

}  // namespace ingestd
