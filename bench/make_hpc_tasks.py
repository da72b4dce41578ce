"""Write execeval/tasks/hpc/tasks.jsonl, the built-in `hpc-kernels` task set (docs/hpc.md), from bench/hpc_kernels/.

One task per (programming model, kernel, prompt variant): the prompt is a comment naming the kernel and the model,
as in the Codex-for-HPC study ("AXPY OpenMP"), or that plus the signature the tests call; the reference is the
prompt plus the gold kernel of bench/hpc_kernels/<language>/; the tests are a program in the task's language
(bench/hpc_kernels/tests/), appended to the candidate. Run `python bench/make_hpc_tasks.py` after editing a kernel.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent / "hpc_kernels"
OUT = Path(__file__).resolve().parent.parent / "execeval" / "tasks" / "hpc" / "tasks.jsonl"

KERNELS = {  # name -> (what it computes, C signature, Fortran signature, Python signature: numpy arrays)
    "axpy": ("y = a*x + y", "void axpy(int n, double a, const double *x, double *y)",
             "subroutine axpy(n, a, x, y)", "def axpy(a, x, y)  # y updated in place"),
    "gemv": ("y = A*x, A an m-by-n matrix (row-major in C, column-major in Fortran)",
             "void gemv(int m, int n, const double *A, const double *x, double *y)", "subroutine gemv(m, n, A, x, y)",
             "def gemv(A, x, y)  # A of shape (m, n); y written in place"),
    "gemm": ("C = A*B, A m-by-k, B k-by-n (row-major in C, column-major in Fortran)",
             "void gemm(int m, int n, int k, const double *A, const double *B, double *C)",
             "subroutine gemm(m, n, k, A, B, C)", "def gemm(A, B, C)  # A (m, k), B (k, n), C (m, n) written in place"),
    "spmv": ("y = A*x, A sparse in CSR form (rowptr, col, val; 0-based in C, 1-based in Fortran)",
             "void spmv(int nrows, const int *rowptr, const int *col, const double *val, const double *x, double *y)",
             "subroutine spmv(nrows, rowptr, col, val, x, y)",
             "def spmv(rowptr, col, val, x, y)  # 0-based int32 indices; y written in place"),
    "jacobi": ("one Jacobi sweep of the 5-point Laplace stencil on an n-by-n grid: every interior point of unew is "
               "the mean of u's four neighbours (the boundary of unew is left as is); returns the sum over interior "
               "points of (unew - u)^2",
               "double jacobi(int n, const double *u, double *unew)", "subroutine jacobi(n, u, unew, diff)",
               "def jacobi(u, unew)  # u, unew of shape (n, n); returns the sum as a float"),
    "cg": ("conjugate gradient for A*x = b, A symmetric positive definite in CSR form, from x = 0, until "
           "|r| <= tol*|b| or max_iter iterations; returns the iterations done",
           "int cg(int n, const int *rowptr, const int *col, const double *val, const double *b, double *x, "
           "int max_iter, double tol)",
           "subroutine cg(n, rowptr, col, val, b, x, max_iter, tol, iters)",
           "def cg(rowptr, col, val, b, x, max_iter, tol)  # x written in place; returns the iterations as an int"),
}
MODELS = {  # execeval language -> (programming model as the study names it, comment mark, source dirs, header)
    "c-openmp": ("C OpenMP", "//", ("c",), "#include <math.h>\n#include <stdlib.h>\n\n"),
    "cpp-openmp": ("C++ OpenMP", "//", ("cpp", "c"),
                   "#include <algorithm>\n#include <cmath>\n#include <cstdlib>\n#include <vector>\n\n"),
    "fortran": ("Fortran", "!", ("fortran",), ""),
    "fortran-openmp": ("Fortran OpenMP", "!", ("fortran",), ""),
    "python-numba": ("Python numba", "#", ("python",), "import numba\nimport numpy as np\n\n"),
}
TESTS = {"fortran": ("f", "f90"), "python": ("py", "py")}  # language family -> test files; C's otherwise
VARIANTS = ("plain", "signature")  # "AXPY OpenMP" alone, or with what it computes and its signature
_OMP_LINE = re.compile(r"^[ \t]*!\$omp\b.*\n", re.IGNORECASE | re.MULTILINE)


def gold(language: str, kernel: str) -> str:
    _, _, dirs, _ = MODELS[language]
    for d in dirs:
        for path in (HERE / d).glob(f"{kernel}.*"):
            code = path.read_text()
            return _OMP_LINE.sub("", code) if language == "fortran" else code  # serial Fortran: no directives
    raise FileNotFoundError(f"no gold {kernel} for {language}")


def tests(language: str, kernel: str) -> str:
    family, ext = TESTS.get(language.split("-")[0], ("c", "c"))
    return (HERE / "tests" / f"{family}_common.{ext}").read_text() + "\n" + (HERE / "tests" / f"{kernel}.{ext}").read_text()


def prompt(language: str, kernel: str, variant: str) -> str:
    model, mark, _, header = MODELS[language]
    what, *signatures = KERNELS[kernel]
    if variant == "plain":
        return f"{header}{mark} {kernel.upper()} {model}\n"
    family = {"fortran": 1, "python": 2}.get(language.split("-")[0], 0)
    unit = "subroutine" if family == 1 else "function"
    sig = signatures[family]
    return f"{header}{mark} {kernel.upper()} {model} {unit}: {what}\n{mark} {sig}\n"


def records() -> list[dict]:
    out: list[dict] = [{"format": "execeval-tasks/1"}]
    for language, (model, *_rest) in MODELS.items():
        for kernel in KERNELS:
            for variant in VARIANTS:
                head = prompt(language, kernel, variant)
                out.append({"task_id": f"hpc/{language}/{kernel}/{variant}", "language": language,
                            "prompt": head, "entry_point": kernel, "reference": head + gold(language, kernel),
                            "tests": [tests(language, kernel)],
                            "metadata": {"task_group": model, "prompt_variant": variant, "kernel": kernel.upper(),
                                         "time_limit_s": 20.0}})
    return out


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r) + "\n" for r in records()))
    print(f"wrote {len(records()) - 1} tasks to {OUT}")
