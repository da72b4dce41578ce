int main(void) {
    int sizes[] = {1, 2, 1000003};
    for (int s = 0; s < 3; s++) {
        int n = sizes[s], *rowptr, *col;
        double *val, *x = t_vec(n, 0.013, 0.2), *y = t_vec(n, 0.0, 9.0);
        t_csr(n, 0, &rowptr, &col, &val);
        spmv(n, rowptr, col, val, x, y);
        for (int i = 0; i < n; i++) {
            double want = 0.0;
            for (int p = rowptr[i]; p < rowptr[i + 1]; p++)
                want += val[p] * x[col[p]];
            assert(t_close(y[i], want, 1e-13));
        }
        free(rowptr); free(col); free(val); free(x); free(y);
    }
    return 0;
}
