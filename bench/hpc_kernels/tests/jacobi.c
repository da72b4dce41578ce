int main(void) {
    int sizes[] = {3, 4, 2048};
    for (int s = 0; s < 3; s++) {
        int n = sizes[s];
        long nn = (long)n * n;
        double *u = t_vec(nn, 0.0007, 0.3), *unew = t_vec(nn, 0.0007, 0.3);
        for (int round = 0; round < (n > 100 ? 12 : 3); round++) {  /* a race needs many chances to show */
            double diff = jacobi(n, u, unew), want = 0.0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    long p = (long)i * n + j;
                    double v = u[p];
                    if (i > 0 && j > 0 && i < n - 1 && j < n - 1) {
                        v = 0.25 * (u[p - n] + u[p + n] + u[p - 1] + u[p + 1]);
                        want += (v - u[p]) * (v - u[p]);
                    }
                    assert(t_close(unew[p], v, 1e-14));
                }
            assert(t_close(diff, want, 1e-10));
            double *t = u; u = unew; unew = t;
            for (long p = 0; p < nn; p++)
                unew[p] = u[p];
        }
        free(u); free(unew);
    }
    return 0;
}
