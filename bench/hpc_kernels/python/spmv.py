@numba.njit(parallel=True)
def spmv(rowptr, col, val, x, y):
    for i in numba.prange(rowptr.shape[0] - 1):
        s = 0.0
        for k in range(rowptr[i], rowptr[i + 1]):
            s += val[k] * x[col[k]]
        y[i] = s
