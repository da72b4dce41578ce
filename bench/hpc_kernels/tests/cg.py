for n in (1, 5, 2000000):
    rowptr, col, val = t_csr(n, True)
    b, x = t_vec(n, 0.01, 0.4), t_vec(n, 0.0, 9.0)
    # about 25 iterations reach 1e-12 here (condition number < 4): a wrong dot product takes many more
    iters = cg(rowptr, col, val, b, x, 200, 1e-12)
    assert 1 <= iters <= 60, f"cg n={n}: {iters} iterations"
    r = b - t_spmv(rowptr, col, val, x)
    assert np.sqrt(r @ r) <= 1e-9 * np.sqrt(b @ b), f"cg n={n}: residual"
