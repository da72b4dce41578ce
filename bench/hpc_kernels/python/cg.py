@numba.njit(parallel=True)
def cg_dot(a, b):
    s = 0.0
    for i in numba.prange(a.shape[0]):
        s += a[i] * b[i]
    return s


@numba.njit(parallel=True)
def cg(rowptr, col, val, b, x, max_iter, tol):
    n = b.shape[0]
    r = np.empty(n)
    p = np.empty(n)
    q = np.empty(n)
    for i in numba.prange(n):
        x[i] = 0.0
        r[i] = b[i]
        p[i] = b[i]
    rr = cg_dot(r, r)
    stop = tol * tol * cg_dot(b, b)
    it = 0
    while it < max_iter and rr > stop:
        for i in numba.prange(n):
            s = 0.0
            for k in range(rowptr[i], rowptr[i + 1]):
                s += val[k] * p[col[k]]
            q[i] = s
        alpha = rr / cg_dot(p, q)
        for i in numba.prange(n):
            x[i] += alpha * p[i]
            r[i] -= alpha * q[i]
        rr_new = cg_dot(r, r)
        beta = rr_new / rr
        for i in numba.prange(n):
            p[i] = r[i] + beta * p[i]
        rr = rr_new
        it += 1
    return it
