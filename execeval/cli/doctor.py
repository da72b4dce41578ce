"""`doctor`: what this machine gives the sandbox (a thin wrapper over `execeval.doctor.diagnose`)."""

from __future__ import annotations

import json

import typer

from execeval.cli.app import app, friendly


@app.command()
@friendly
def doctor(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show which isolation primitives the sandbox gets on this machine (and what is missing), its speed (time
    floors scale by it), and which languages' toolchains are installed. Exits 1 when isolation is not full."""
    from execeval.doctor import diagnose

    found = diagnose()
    if as_json:
        print(json.dumps(found.as_dict(), indent=2))
    else:
        from execeval.report.terminal import print_isolation, print_toolchains

        print_isolation(found.isolation)
        typer.echo(f"machine speed: {found.machine_speed:g} (CPU time per reference-machine second; time floors "
                   "scale by it, see docs/time-limits.md)")
        print_toolchains(list(found.toolchains))
    if not found.healthy:
        raise typer.Exit(1)
