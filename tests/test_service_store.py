"""The service's store (`BufferedStore`): writes are readable at once, committed in batches by a writer thread, all
committed by a graceful close, and a killed process loses at most the last batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from execeval.runs.store import BufferedStore, RunStore

VERDICT = {"passed": True, "status": "passed"}


def committed(path) -> int:
    """Verdicts another connection sees: what is on disk, not what the writer still holds."""
    other = RunStore(path)
    try:
        return other.count("verdicts")
    finally:
        other.close()


def test_a_write_is_read_back_at_once_and_committed_by_the_writer(tmp_path):
    store = BufferedStore(tmp_path / "s.sqlite", every_s=0.05)
    try:
        store.put_verdict("k1", VERDICT)
        assert store.verdicts(["k1", "k2"]) == {"k1": VERDICT}  # pending, yet found
        deadline = time.monotonic() + 10
        while committed(tmp_path / "s.sqlite") < 1:
            assert time.monotonic() < deadline, "the writer never committed"
            time.sleep(0.02)
        assert store.verdicts(["k1"]) == {"k1": VERDICT}  # committed, still found
    finally:
        store.close()


def test_a_graceful_close_commits_every_pending_write(tmp_path):
    store = BufferedStore(tmp_path / "s.sqlite", every_s=3600)  # the writer would wait an hour
    for i in range(200):
        store.put_verdict(f"k{i}", {**VERDICT, "i": i})
    store.put_reference("r", {"cpu": [0.1]})
    assert committed(tmp_path / "s.sqlite") == 0
    store.close()
    again = RunStore(tmp_path / "s.sqlite")
    try:
        assert again.count("verdicts") == 200 and again.references(["r"]) == {"r": {"cpu": [0.1]}}
        assert again.verdicts(["k7"]) == {"k7": {**VERDICT, "i": 7}}
    finally:
        again.close()


def test_kill_9_loses_at_most_the_last_batch(tmp_path):
    """Verdicts written more than a batch interval before a SIGKILL are on disk; only the last batch may be gone."""
    path = tmp_path / "s.sqlite"
    script = textwrap.dedent(f"""
        import os, signal, time
        from execeval.runs.store import BufferedStore
        store = BufferedStore({str(path)!r}, every_s=0.05)
        for i in range(100):
            store.put_verdict(f"early{{i}}", {{"i": i}})
        time.sleep(1.0)  # many batch intervals: these are committed
        for i in range(100):
            store.put_verdict(f"late{{i}}", {{"i": i}})
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    store = RunStore(path)
    try:
        assert len(store.verdicts(f"early{i}" for i in range(100))) == 100
    finally:
        store.close()


def test_a_reference_given_as_json_text_is_stored_as_is_and_read_back_by_both_stores(tmp_path):
    """compute_references serialises a reference once and hands the text to the run store and the shared cache."""
    data = {"outputs": ["[1,2]", None], "cpu_s": [0.001, 0.0], "failures": ["test 1: ValueError"]}
    text = json.dumps(data)
    for store in (RunStore(tmp_path / "a.sqlite"), BufferedStore(tmp_path / "b.sqlite", every_s=0.05)):
        try:
            store.put_reference("k", text)
            store.put_reference("d", data)
            assert store.references(["k", "d", "missing"]) == {"k": data, "d": data}
            assert store.reference_texts(["k"]) == {"k": text}
        finally:
            store.close()
