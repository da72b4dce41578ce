int main(void) {
    int sizes[] = {1, 5, 2000000};
    for (int s = 0; s < 3; s++) {
        int n = sizes[s], *rowptr, *col;
        double *val, *b = t_vec(n, 0.01, 0.4), *x = t_vec(n, 0.0, 9.0);
        t_csr(n, 1, &rowptr, &col, &val);
        /* about 25 iterations reach 1e-12 here (condition number < 4): a wrong dot product takes many more */
        int iters = cg(n, rowptr, col, val, b, x, 200, 1e-12);
        assert(iters >= 1 && iters <= 60);
        double rr = 0.0, bb = 0.0;
        for (int i = 0; i < n; i++) {
            double ax = 0.0;
            for (int p = rowptr[i]; p < rowptr[i + 1]; p++)
                ax += val[p] * x[col[p]];
            rr += (b[i] - ax) * (b[i] - ax);
            bb += b[i] * b[i];
        }
        assert(sqrt(rr) <= 1e-9 * sqrt(bb));
        free(rowptr); free(col); free(val); free(b); free(x);
    }
    return 0;
}
