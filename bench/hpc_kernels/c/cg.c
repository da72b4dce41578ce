static double cg_dot(int n, const double *a, const double *b) {
    double s = 0.0;
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

int cg(int n, const int *rowptr, const int *col, const double *val, const double *b, double *x,
       int max_iter, double tol) {
    double *r = (double *)malloc(sizeof(double) * n);
    double *p = (double *)malloc(sizeof(double) * n);
    double *q = (double *)malloc(sizeof(double) * n);
    #pragma omp parallel for
    for (int i = 0; i < n; i++) {
        x[i] = 0.0;
        r[i] = b[i];
        p[i] = b[i];
    }
    double rr = cg_dot(n, r, r), stop = tol * tol * cg_dot(n, b, b);
    int it = 0;
    while (it < max_iter && rr > stop) {
        #pragma omp parallel for
        for (int i = 0; i < n; i++) {
            double s = 0.0;
            for (int k = rowptr[i]; k < rowptr[i + 1]; k++)
                s += val[k] * p[col[k]];
            q[i] = s;
        }
        double alpha = rr / cg_dot(n, p, q);
        #pragma omp parallel for
        for (int i = 0; i < n; i++) {
            x[i] += alpha * p[i];
            r[i] -= alpha * q[i];
        }
        double rr_new = cg_dot(n, r, r), beta = rr_new / rr;
        #pragma omp parallel for
        for (int i = 0; i < n; i++)
            p[i] = r[i] + beta * p[i];
        rr = rr_new;
        it++;
    }
    free(r);
    free(p);
    free(q);
    return it;
}
