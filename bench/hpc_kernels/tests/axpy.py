for n in (0, 1, 7, 3000001):
    x, y, y0 = t_vec(n, 0.001, 0.0), t_vec(n, 0.002, 1.0), t_vec(n, 0.002, 1.0)
    axpy(2.5, x, y)
    assert t_close(y, y0 + 2.5 * x, 1e-14), f"axpy n={n}"
