"""What the fork server holds: every mapping it holds is copied by each fork, so harness-only modules and `site`'s
.pth imports stay out of it, while what jobs need of `site` (site-packages on sys.path, `exit`) stays in."""

from __future__ import annotations

import os

import pytest

import execeval.sandbox
from execeval.sandbox import Script

# loaded only by the harness (the pool, subprocess-based backends) or by site's .pth lines and ctypes.util
HARNESS_ONLY = ("subprocess", "queue", "concurrent.futures", "logging", "shutil", "tempfile", "bz2", "lzma",
                "zipfile", "pathlib", "ctypes.util", "importlib.resources", "execeval.sandbox.forkserver")


def test_every_public_name_of_the_lazy_package_resolves_to_where_it_is_defined():
    for name in execeval.sandbox.__all__:
        value = getattr(execeval.sandbox, name)
        if isinstance(value, type) or callable(value):
            assert value.__module__.startswith("execeval.sandbox."), (name, value.__module__)
    assert set(execeval.sandbox.__all__) <= set(dir(execeval.sandbox))
    with pytest.raises(AttributeError):
        execeval.sandbox.NoSuchName  # noqa: B018 - the lookup is the test


def test_a_job_starts_without_harness_modules_but_with_site_packages(sandbox):
    probe = ("import sys\n"
             f"print(sorted(m for m in {HARNESS_ONLY!r} if m in sys.modules))\n"
             "print(sys.flags.no_site, callable(exit), callable(quit))\n"
             "print('\\n'.join(sys.path))\n")
    result = sandbox.run(Script(probe))
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "[]", f"harness-only modules in the fork server: {lines[0]}"
    assert lines[1] == "1 True True"
    assert os.path.dirname(os.path.dirname(pytest.__file__)) in lines[2:]  # this interpreter's site-packages
