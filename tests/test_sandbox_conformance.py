"""Every sandbox backend passes the same conformance checks."""

import pytest

from execeval.sandbox import CommandSandbox, ForkServerSandbox
from execeval.sandbox.conformance import CHECKS

BACKENDS = {"forkserver": ForkServerSandbox, "command": CommandSandbox}


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def sandbox(request):
    sb = BACKENDS[request.param](workers=2)
    yield sb
    sb.close()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_conformance(sandbox, check):
    check(sandbox)
