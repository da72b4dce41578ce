int main(void) {
    int sizes[] = {0, 1, 7, 3000001};
    for (int s = 0; s < 4; s++) {
        int n = sizes[s];
        double *x = t_vec(n, 0.001, 0.0), *y = t_vec(n, 0.002, 1.0), *y0 = t_vec(n, 0.002, 1.0);
        axpy(n, 2.5, x, y);
        for (int i = 0; i < n; i++)
            assert(t_close(y[i], y0[i] + 2.5 * x[i], 1e-14));
        free(x); free(y); free(y0);
    }
    return 0;
}
