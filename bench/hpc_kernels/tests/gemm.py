for m, n, k in ((1, 1, 1), (2, 3, 4), (131, 97, 211)):
    A, B = t_vec(m * k, 0.37, 0.1).reshape(m, k), t_vec(k * n, 0.23, 0.7).reshape(k, n)
    C = t_vec(m * n, 0.0, 9.0).reshape(m, n)
    gemm(A, B, C)
    assert t_close(C, A @ B, 1e-12), f"gemm {m}x{n}x{k}"
