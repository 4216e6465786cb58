// The daemon's heap (glibc malloc): how many arenas its threads may spread over, and
// giving memory that is free in them back to the kernel. A threaded server that builds
// large replies on many threads otherwise keeps, in each thread's arena, the peak it
// ever needed, fragmented and never returned.
#pragma once

namespace cordon::sys {

// mallopt(M_ARENA_MAX, n): at most n arenas for all threads (glibc's default is 8 per
// CPU). Call before threads start: arenas already made stay.
void limit_heap_arenas(int n);

// malloc_trim(0): free memory at the top of each arena is returned, and whole free pages
// inside them are handed back (MADV_DONTNEED). Walks every arena under its lock: a
// fraction of a millisecond for a small heap, so call it now and then, not per request.
void release_free_heap();

}  // namespace cordon::sys
