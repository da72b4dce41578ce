@numba.njit(parallel=True)
def axpy(a, x, y):
    for i in numba.prange(x.shape[0]):
        y[i] = a * x[i] + y[i]
