import numpy as np


def t_vec(n, scale, shift):
    return np.sin(scale * np.arange(n, dtype=np.float64) + shift)


def t_close(got, want, rel):
    return bool(np.all(np.abs(np.asarray(got) - want) <= rel * (1.0 + np.abs(want))))


def t_csr(n, tridiagonal):
    """The C tests' CSR matrix (tests/c_common.c): per row i, -1 at i-1, 4 + i % 3 at i, -1 at i+1, and unless
    tridiagonal 0.5 at (i * 7919) % n, in that order; int32 indices as C's int."""
    i = np.arange(n, dtype=np.int64)
    parts = [(i[1:], i[1:] - 1, np.full(n - 1 if n else 0, -1.0)), (i, i, 4.0 + i % 3),
             (i[:-1], i[:-1] + 1, np.full(n - 1 if n else 0, -1.0))]
    if not tridiagonal:
        parts.append((i, (i * 7919) % n if n else i, np.full(n, 0.5)))
    rows = np.concatenate([p[0] for p in parts])
    order = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)])
    keep = np.lexsort((order, rows))
    rowptr = np.zeros(n + 1, dtype=np.int32)
    rowptr[1:] = np.cumsum(np.bincount(rows, minlength=n))
    col = np.concatenate([p[1] for p in parts])[keep].astype(np.int32)
    val = np.concatenate([p[2] for p in parts])[keep]
    return rowptr, col, val


def t_spmv(rowptr, col, val, x):
    """y = A*x, serially, row by row in index order."""
    rows = np.repeat(np.arange(len(rowptr) - 1), np.diff(rowptr))
    return np.bincount(rows, weights=val * x[col], minlength=len(rowptr) - 1)
