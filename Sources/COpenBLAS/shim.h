// OpenBLAS's CBLAS interface (Debian libopenblas-dev). LAPACK prototypes join here when needed.
#include <stddef.h>
#include <cblas.h>

/* LAPACK (Fortran symbols exported by libopenblas.so.0; no LAPACKE in Debian's OpenBLAS).
 * Column-major; every argument by pointer; trailing hidden lengths of the character arguments.
 * Used by the adapters (Sources/StasisCore/Adapt, Sources/StasisCore/Linear/Lapack.swift). */
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda,
             double* s, double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* info, size_t jobu_length, size_t jobvt_length);
void dposv_(const char* uplo, const int* n, const int* nrhs, double* a, const int* lda, double* b,
            const int* ldb, int* info, size_t uplo_length);
