#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double *t_vec(long n, double scale, double shift) {
    double *v = (double *)malloc(sizeof(double) * (n ? n : 1));
    for (long i = 0; i < n; i++)
        v[i] = sin(scale * (double)i + shift);
    return v;
}

static int t_close(double got, double want, double rel) {
    return fabs(got - want) <= rel * (1.0 + fabs(want));
}

/* A CSR matrix: row i holds a diagonal 4 + (i % 3) and -1 at i-1, i+1 and (i * 7919) % n, symmetric positive
   definite once mirrored; here only the pattern matters for SpMV, and CG uses the tridiagonal part. */
static void t_csr(int n, int tridiagonal, int **rowptr, int **col, double **val) {
    *rowptr = (int *)malloc(sizeof(int) * (n + 1));
    *col = (int *)malloc(sizeof(int) * 4L * n);
    *val = (double *)malloc(sizeof(double) * 4L * n);
    int k = 0;
    for (int i = 0; i < n; i++) {
        (*rowptr)[i] = k;
        if (i > 0) { (*col)[k] = i - 1; (*val)[k++] = -1.0; }
        (*col)[k] = i; (*val)[k++] = 4.0 + (i % 3);
        if (i + 1 < n) { (*col)[k] = i + 1; (*val)[k++] = -1.0; }
        if (!tridiagonal) { (*col)[k] = (int)(((long)i * 7919) % n); (*val)[k++] = 0.5; }
    }
    (*rowptr)[n] = k;
}
