// OpenBLAS's CBLAS interface (Debian libopenblas-dev). LAPACK prototypes join here when needed.
#include <cblas.h>
