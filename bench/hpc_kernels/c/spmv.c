void spmv(int nrows, const int *rowptr, const int *col, const double *val, const double *x, double *y) {
    #pragma omp parallel for
    for (int i = 0; i < nrows; i++) {
        double s = 0.0;
        for (int p = rowptr[i]; p < rowptr[i + 1]; p++)
            s += val[p] * x[col[p]];
        y[i] = s;
    }
}
