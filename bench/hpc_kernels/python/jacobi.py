@numba.njit(parallel=True)
def jacobi(u, unew):
    n = u.shape[0]
    diff = 0.0
    for i in numba.prange(1, n - 1):
        for j in range(1, n - 1):
            v = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
            unew[i, j] = v
            diff += (v - u[i, j]) * (v - u[i, j])
    return diff
