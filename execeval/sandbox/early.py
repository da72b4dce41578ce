"""Fork servers started before the harness knows it needs them, so that their start-up (~0.1 s each: an
interpreter, its imports, the isolation) runs on idle cores while the harness does its own (imports, flags, loading
tasks and samples) instead of after it.

`start(workers)` parks them; the next local sandbox of the default shape (`factory.open_sandbox`) takes them, and
any it does not take are closed at exit: a wrong guess costs the servers' start-up, nothing else. `execeval
evaluate` starts them first thing (cli/prestart.py).
"""

from __future__ import annotations

import atexit

from execeval.sandbox.forkserver import _Worker, pool_size

_parked: list[_Worker] = []


def start(workers: int | None) -> None:
    """Start `workers` fork servers (None: one per core), unless some are parked already."""
    if _parked:
        return
    try:
        for index in range(pool_size(workers)):
            _parked.append(_Worker(index, {}))
    except OSError:  # the pool starts its own, and reports why it cannot, when it is made
        pass


def take(workers: int | None) -> list[_Worker]:
    """The parked servers a pool of `workers` (None: one per core) uses, by index; the rest are closed."""
    wanted = pool_size(workers)
    parked, _parked[:] = _parked[:], []
    for worker in parked[wanted:]:
        worker.close()
    return parked[:wanted]


def close_parked() -> None:
    """Close the servers nobody took (each exits at the end of its input)."""
    for worker in take(len(_parked)) if _parked else ():
        worker.close()


atexit.register(close_parked)
