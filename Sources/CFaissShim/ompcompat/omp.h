// Minimal stand-in for <omp.h>: Swift's clang ships none and Debian bookworm has no libgomp-dev,
// yet faiss/impl/HNSW.h includes it. Declarations match libgomp's ABI (omp_lock_t is 4 bytes,
// 4-aligned); the definitions come from libgomp at link time.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
typedef struct { int _x; } omp_lock_t;
void omp_init_lock(omp_lock_t*) __attribute__((nothrow));
void omp_destroy_lock(omp_lock_t*) __attribute__((nothrow));
void omp_set_lock(omp_lock_t*) __attribute__((nothrow));
void omp_unset_lock(omp_lock_t*) __attribute__((nothrow));
void omp_set_num_threads(int) __attribute__((nothrow));
int omp_get_num_threads(void) __attribute__((nothrow));
int omp_get_max_threads(void) __attribute__((nothrow));
int omp_get_thread_num(void) __attribute__((nothrow));
int omp_get_num_procs(void) __attribute__((nothrow));
#ifdef __cplusplus
}
#endif
