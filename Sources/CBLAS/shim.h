#ifndef KINDRED_CBLAS_SHIM_H
#define KINDRED_CBLAS_SHIM_H
#include <stddef.h>
#include <cblas.h>

/* LAPACK (Fortran ABI, shipped inside libopenblas): symmetric eigendecomposition, double precision.
   The trailing size_t arguments are the hidden lengths of the character arguments. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
#endif
