"""Fortran with gfortran: the same build-once, run-per-input shape as C (one source file, one binary).

Free-form source (`main.f90`); the candidate's modules and procedures come before the tests' main program in the
same file, so a `use` of the candidate's module compiles. No coverage variant: execeval's gcov reading is for C
and C++ sources.
"""

from __future__ import annotations

from execeval.languages.base import Language
from execeval.languages.c import C

FORTRAN_FLAGS = ("-O2", "-pipe", "-ffree-line-length-none")  # long lines: models write them


class Fortran(C):
    name = "fortran"
    source_name = "main.f90"
    compiler = "gfortran"
    flags: tuple[str, ...] = FORTRAN_FLAGS
    libs = ()  # libgfortran brings libm
    install = "apt-get install gfortran"

    def coverage_variant(self) -> Language | None:  # type: ignore[override]  # none for Fortran, unlike C
        return None
