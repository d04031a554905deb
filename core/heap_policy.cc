#include "core/heap_policy.h"

#include <malloc.h>

namespace salesaudit {

void KeepFreedHeapForReuse() {
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

}  // namespace salesaudit
