int main(void) {
    int shapes[][3] = {{1, 1, 1}, {2, 3, 4}, {131, 97, 211}};
    for (int s = 0; s < 3; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        double *A = t_vec((long)m * k, 0.37, 0.1), *B = t_vec((long)k * n, 0.23, 0.7), *C = t_vec((long)m * n, 0.0, 9.0);
        gemm(m, n, k, A, B, C);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double want = 0.0;
                for (int l = 0; l < k; l++)
                    want += A[(long)i * k + l] * B[(long)l * n + j];
                assert(t_close(C[(long)i * n + j], want, 1e-12));
            }
        free(A); free(B); free(C);
    }
    return 0;
}
