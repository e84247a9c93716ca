#ifndef SLUICE_CLINEARALGEBRA_SHIM_H
#define SLUICE_CLINEARALGEBRA_SHIM_H
#include <cblas.h>
#include <lapacke.h>
// lapack_int is a macro (int32 in Debian's LAPACKE): Swift callers pass Int32.
#endif
