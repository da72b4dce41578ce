"""`doctor`: what this machine gives the sandbox (a thin wrapper over `execeval.doctor.diagnose`)."""

from __future__ import annotations

import json

import typer

from execeval.cli.shared import app, friendly


@app.command()
@friendly
def doctor(as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
           recalibrate: bool = typer.Option(
               False, "--recalibrate", help="Store the speed measured now as this machine's, the one later runs "
               "use (runs already started keep theirs). For when the stored one was measured on a busy machine.")
           ) -> None:
    """Show which isolation primitives the sandbox gets on this machine (and what is missing), its speed (time
    floors scale by it: measured now, and the one stored for this machine's runs), and which languages' toolchains
    are installed. Exits 1 when isolation is not full."""
    from execeval.doctor import diagnose

    found = diagnose(recalibrate=recalibrate)
    if as_json:
        print(json.dumps(found.as_dict(), indent=2))
    else:
        from execeval.report.terminal import print_isolation, print_toolchains

        print_isolation(found.isolation)
        stored = ("none stored yet (the next run stores what it measures)" if found.stored_speed is None else
                  f"{found.stored_speed:g} stored{' just now' if recalibrate else ''}, what this machine's runs use")
        typer.echo(f"machine speed: {found.machine_speed:g} measured now; {stored}\n  (CPU time per "
                   "reference-machine second: time floors scale by it, see docs/time-limits.md)")
        if found.speed_drift:
            typer.echo(found.speed_drift)
        print_toolchains(list(found.toolchains))
    if not found.healthy:
        raise typer.Exit(1)
