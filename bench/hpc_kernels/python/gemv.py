@numba.njit(parallel=True)
def gemv(A, x, y):
    m, n = A.shape
    for i in numba.prange(m):
        s = 0.0
        for j in range(n):
            s += A[i, j] * x[j]
        y[i] = s
