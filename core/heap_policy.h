// The process's heap policy, set once at start by every program that syncs
// or audits (the CLI and daemon, the benchmarks that measure them).
#pragma once

namespace salesaudit {

// Memory freed after one page stays in the heap for the next: glibc gives
// back to the kernel any free space over 128 KiB at the heap's top and maps
// allocations from 128 KiB up afresh, so every page (a 300 KB body, a JSON
// document of about 1 MB) faulted its memory in again; on the measured VM
// that was 40% of the CPU of a Pipedrive persons sync. Keeps up to 32 MiB
// free at the top and serves allocations below 4 MiB from the heap. Call
// before starting threads.
void KeepFreedHeapForReuse();

}  // namespace salesaudit
