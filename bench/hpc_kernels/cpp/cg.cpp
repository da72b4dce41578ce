static double cg_dot(int n, const double *a, const double *b) {
    double s = 0.0;
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

int cg(int n, const int *rowptr, const int *col, const double *val, const double *b, double *x,
       int max_iter, double tol) {
    std::vector<double> r(b, b + n), p(b, b + n), q(n);
    std::fill(x, x + n, 0.0);
    double rr = cg_dot(n, r.data(), r.data()), stop = tol * tol * cg_dot(n, b, b);
    int it = 0;
    for (; it < max_iter && rr > stop; it++) {
        #pragma omp parallel for
        for (int i = 0; i < n; i++) {
            double s = 0.0;
            for (int k = rowptr[i]; k < rowptr[i + 1]; k++)
                s += val[k] * p[col[k]];
            q[i] = s;
        }
        double alpha = rr / cg_dot(n, p.data(), q.data());
        #pragma omp parallel for
        for (int i = 0; i < n; i++) {
            x[i] += alpha * p[i];
            r[i] -= alpha * q[i];
        }
        double rr_new = cg_dot(n, r.data(), r.data()), beta = rr_new / rr;
        #pragma omp parallel for
        for (int i = 0; i < n; i++)
            p[i] = r[i] + beta * p[i];
        rr = rr_new;
    }
    return it;
}
