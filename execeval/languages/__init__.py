"""Languages execeval can build and run: one module per language behind `execeval.languages.base.Language`.

    from execeval.languages import get_language, build, run
    cpp = get_language("cpp")
    built = build(cpp, source, sandbox, cache=BuildCache.default())
    result = run(cpp, built, sandbox, stdin=b"1 2\\n")
"""

from __future__ import annotations

from execeval.errors import UsageError
from execeval.languages.base import Language, Toolchain
from execeval.languages.build import Build, BuildCache, build, run
from execeval.languages.cpp import Cpp
from execeval.languages.python import Python

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (Python(), Cpp())}
ALIASES = {"c++": "cpp", "cxx": "cpp", "py": "python", "python3": "python"}

__all__ = ["LANGUAGES", "Language", "Toolchain", "Build", "BuildCache", "build", "run", "get_language"]


def get_language(name: str) -> Language:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LANGUAGES:
        raise UsageError(f"unknown language {name!r}", hint="one of: " + ", ".join(sorted(LANGUAGES)))
    return LANGUAGES[key]
