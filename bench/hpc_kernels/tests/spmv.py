for n in (1, 2, 1000003):
    rowptr, col, val = t_csr(n, False)
    x, y = t_vec(n, 0.013, 0.2), t_vec(n, 0.0, 9.0)
    spmv(rowptr, col, val, x, y)
    assert t_close(y, t_spmv(rowptr, col, val, x), 1e-13), f"spmv n={n}"
