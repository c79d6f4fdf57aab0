// The C allocator's policy for a process that moves record batches.
#pragma once

namespace ingestd {

// Keeps batch-sized allocations on the heap and lets the heap keep a little
// freed memory, instead of glibc's default of mapping each large buffer
// fresh and giving it back at once: a batch's buffers are a few MiB, made
// on one thread and freed on another many times a second, and every fresh
// mapping is paid again in page faults (measured by
// tools/bench/transforms/run: CSV -> null with a filter 0.31 s -> 0.17 s).
// A user's own GLIBC_TUNABLES or MALLOC_*_ settings are left to rule.
void tune_allocator();

}  // namespace ingestd
