#include "sys/heap.h"

#include <malloc.h>

namespace cordon::sys {

void limit_heap_arenas(int n) {
  ::mallopt(M_ARENA_MAX, n);
}

void release_free_heap() {
  ::malloc_trim(0);
}

}  // namespace cordon::sys
