"""`serve`: the verification service (execeval/service) on uvicorn."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly
from execeval.cli.options import execution_options
from execeval.errors import UsageError
from execeval.evaluation.pipeline import EvalConfig
from execeval.service.schema import DEFAULT_PORT


@app.command()
@friendly
@execution_options
def serve(
    tasks: list[str] = typer.Option(["demo"], "--tasks", "-t", help="Benchmarks to serve (repeat the flag, or "
                                    "comma-separate): names or task file paths."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; beyond loopback needs --token."),
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", help="Port to bind."),
    token: Optional[str] = typer.Option(None, "--token", envvar="EXECEVAL_SERVICE_TOKEN", help="Required as "
                                        "`Authorization: Bearer TOKEN` on /v1/verify and /metrics."),
    max_queue: Optional[int] = typer.Option(None, "--max-queue", help="Jobs admitted and not finished; more get "
                                            "429 with Retry-After \\[default: 32 per worker, about a second of "
                                            "small jobs]."),
    max_body_mb: float = typer.Option(16.0, "--max-body-mb", help="Largest request body, MB (413 beyond)."),
    max_batch: int = typer.Option(4096, "--max-batch", help="Most jobs in one request."),
    state_dir: Optional[Path] = typer.Option(None, "--state-dir", help="Keep the verdict store here (identical "
                                             "jobs are answered from it, across restarts) \\[default: a temporary "
                                             "directory, removed at exit]."),
    warm: bool = typer.Option(True, "--warm/--no-warm", help="Compute every served task's reference before "
                              "accepting requests (else at each task's first request)."),
    *, config: EvalConfig,
) -> None:
    """Serve verdicts over HTTP: POST /v1/verify (one job or a batch), GET /healthz, GET /metrics."""
    try:
        from execeval.service.app import ServiceSettings, check_bind, listen, serve as run_server
    except ImportError as e:
        raise UsageError(f"execeval serve needs the service extra ({e.name} is missing)",
                         hint="pip install 'execeval[service]'") from None
    from execeval.service.engine import Verifier
    from execeval.service.schema import Ceilings
    from execeval.tasks import load_tasks

    if config.coverage or config.difftest:
        raise UsageError("--coverage, --min-coverage and --difftest are not served",
                         hint="use `execeval evaluate` for them")
    for flag, value in (("--max-queue", max_queue or 1), ("--max-body-mb", max_body_mb), ("--max-batch", max_batch)):
        if not value > 0:
            raise UsageError(f"{flag} {value}: must be more than 0")
    check_bind(host, token)  # before any work: a refused bind should cost nothing, and so should a taken port
    with listen(host, port) as sock:
        names = [n.strip() for item in tasks for n in item.split(",") if n.strip()]
        tasksets = [load_tasks(n, data_dir=config.data_dir, split=config.split) for n in names]
        settings = ServiceSettings(token=token, max_queue=max_queue, max_body_bytes=int(max_body_mb * (1 << 20)),
                                   ceilings=Ceilings(max_jobs=max_batch, memory_mb=max(Ceilings.memory_mb,
                                                                                       config.policy.memory_mb)))
        with tempfile.TemporaryDirectory(prefix="execeval-serve-") as tmp:
            with Verifier(tasksets, state_dir or tmp, config) as verifier:
                if warm:
                    verifier.warm()
                typer.echo(f"serving {', '.join(ts.name for ts in tasksets)} on http://{host}:"
                           f"{sock.getsockname()[1]} ({verifier.sandbox.capacity} workers, pid {os.getpid()})",
                           err=True)
                run_server(verifier, settings, host, port, sock=sock)
