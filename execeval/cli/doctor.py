"""`doctor`: what this machine gives the sandbox."""

from __future__ import annotations

import json

import typer

from execeval.cli.app import app, friendly


@app.command()
@friendly
def doctor(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show which isolation primitives the sandbox gets on this machine (and what is missing), its speed (time
    floors scale by it), and which languages' toolchains are installed. Exits 1 when isolation is not full."""
    from execeval.calibration import measure_machine_speed
    from execeval.languages import toolchains
    from execeval.sandbox import ForkServerSandbox

    with ForkServerSandbox(workers=1) as sandbox:  # one fork server for both questions
        report, speed = sandbox.isolation(), measure_machine_speed(sandbox)
    tools = toolchains()
    if as_json:
        print(json.dumps({**report.as_dict(), "machine_speed": speed, "toolchains": {
            t.language: {"available": t.available, "paths": dict(t.paths), "missing": list(t.missing),
                         "install": t.install} for t in tools}}, indent=2))
    else:
        from execeval.report.terminal import print_isolation, print_toolchains

        print_isolation(report)
        typer.echo(f"machine speed: {speed:g} (CPU time per reference-machine second; time floors scale by it, "
                   "see docs/time-limits.md)")
        print_toolchains(tools)
    if report.level != "full":
        raise typer.Exit(1)
