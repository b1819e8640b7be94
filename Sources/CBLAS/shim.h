#ifndef KINDRED_CBLAS_SHIM_H
#define KINDRED_CBLAS_SHIM_H
#include <cblas.h>
#endif
