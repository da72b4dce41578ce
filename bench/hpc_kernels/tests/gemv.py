for m, n in ((1, 1), (3, 5), (1001, 777)):
    A = t_vec(m * n, 0.37, 0.1).reshape(m, n)
    x, y = t_vec(n, 0.011, 0.5), t_vec(m, 0.0, 9.0)
    gemv(A, x, y)
    assert t_close(y, A @ x, 1e-12), f"gemv {m}x{n}"
