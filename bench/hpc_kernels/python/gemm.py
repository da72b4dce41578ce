@numba.njit(parallel=True)
def gemm(A, B, C):
    m, k = A.shape
    n = B.shape[1]
    for i in numba.prange(m):
        for j in range(n):
            s = 0.0
            for l in range(k):
                s += A[i, l] * B[l, j]
            C[i, j] = s
