#ifndef SLUICE_CMALLOC_SHIM_H
#define SLUICE_CMALLOC_SHIM_H
#if defined(__linux__)
#include <malloc.h>
// M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_ARENA_MAX are macros; wrap the one call Sluice makes.
static inline void sluice_keep_freed_memory(int bytes) {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, bytes);
    mallopt(M_TRIM_THRESHOLD, bytes);
}
#else
static inline void sluice_keep_freed_memory(int bytes) { (void)bytes; }
#endif
#endif
