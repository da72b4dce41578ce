int main(void) {
    int shapes[][2] = {{1, 1}, {3, 5}, {1001, 777}};
    for (int s = 0; s < 3; s++) {
        int m = shapes[s][0], n = shapes[s][1];
        double *A = t_vec((long)m * n, 0.37, 0.1), *x = t_vec(n, 0.011, 0.5), *y = t_vec(m, 0.0, 9.0);
        gemv(m, n, A, x, y);
        for (int i = 0; i < m; i++) {
            double want = 0.0;
            for (int j = 0; j < n; j++)
                want += A[(long)i * n + j] * x[j];
            assert(t_close(y[i], want, 1e-12));
        }
        free(A); free(x); free(y);
    }
    return 0;
}
