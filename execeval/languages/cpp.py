"""C++ with g++: compiled once per source (the build cache), the binary run per input."""

from __future__ import annotations

from execeval.languages.c import C

CXX_FLAGS = ("-std=c++17", "-O2", "-pipe")  # what contest judges use; -O2 because tests are run many times


class Cpp(C):
    name = "cpp"
    source_name = "main.cpp"
    compiler = "g++"
    flags: tuple[str, ...] = CXX_FLAGS
    libs = ()  # libstdc++ brings libm
    install = "apt-get install g++"
