"""Languages execeval can build and run: one module per language behind `execeval.languages.base.Language`.

    from execeval.languages import get_language, build, run, run_batch
    cpp = get_language("cpp")
    built = build(cpp, source, sandbox, cache=BuildCache.default())
    result = run(cpp, built, sandbox, stdin=b"1 2\\n")
    results = run_batch(java, built, sandbox, [b"1\\n", b"2\\n"])   # one JVM for every input; None: no batch mode

`toolchains()` says which are installed (what `execeval doctor` prints); a build in a language whose toolchain
is missing fails with `Status.SANDBOX_ERROR` and says how to install it. See docs/languages.md.
"""

from __future__ import annotations

from execeval.errors import UsageError
from execeval.languages.asm import assembly_languages
from execeval.languages.base import Language, Toolchain
from execeval.languages.bash import Bash
from execeval.languages.build import Build, BuildCache, build, run, run_batch
from execeval.languages.c import C
from execeval.languages.cpp import Cpp
from execeval.languages.fortran import Fortran
from execeval.languages.go import Go
from execeval.languages.java import Java
from execeval.languages.javascript import JavaScript
from execeval.languages.openmp import COpenMP, CppOpenMP, FortranOpenMP
from execeval.languages.python import Python
from execeval.languages.python_numba import PythonNumba
from execeval.languages.rust import Rust
from execeval.languages.sql import Sql

_VARIANTS = (COpenMP(), CppOpenMP(), FortranOpenMP(), PythonNumba())
_ALL: tuple[Language, ...] = (Python(), C(), Cpp(), Java(), JavaScript(), Bash(), Sql(), Go(), Rust(), Fortran(),
                              *_VARIANTS, *assembly_languages())
LANGUAGES: dict[str, Language] = {lang.name: lang for lang in _ALL}
ALIASES = {"c++": "cpp", "cxx": "cpp", "py": "python", "python3": "python", "js": "javascript", "node": "javascript",
           "sh": "bash", "sqlite": "sql", "sqlite3": "sql", "golang": "go", "rs": "rust", "f90": "fortran",
           "gfortran": "fortran", "c++-openmp": "cpp-openmp", "numba": "python-numba",
           "asm-x86-64": "asm-x86_64", "asm-amd64": "asm-x86_64", "asm-arm64": "asm-aarch64"}
#: a language built or run another's way (OpenMP, numba) -> that language: tests and their epilogue are the same
SERIAL = {lang.name: lang.serial for lang in _VARIANTS}

__all__ = ["LANGUAGES", "SERIAL", "Language", "Toolchain", "Build", "BuildCache", "build", "run", "run_batch", "get_language",
           "toolchains"]


def get_language(name: str) -> Language:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LANGUAGES:
        raise UsageError(f"unknown language {name!r}", hint="one of: " + ", ".join(sorted(LANGUAGES)))
    return LANGUAGES[key]


def toolchains() -> list[Toolchain]:
    """Every language's tools as found on this machine (looked up on PATH, nothing run), for `execeval doctor`."""
    return [lang.toolchain() for lang in LANGUAGES.values()]
