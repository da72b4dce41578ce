double jacobi(int n, const double *u, double *unew) {
    double diff = 0.0;
    #pragma omp parallel for reduction(+:diff)
    for (int i = 1; i < n - 1; i++)
        for (int j = 1; j < n - 1; j++) {
            long p = (long)i * n + j;
            double v = 0.25 * (u[p - n] + u[p + n] + u[p - 1] + u[p + 1]);
            unew[p] = v;
            diff += (v - u[p]) * (v - u[p]);
        }
    return diff;
}
