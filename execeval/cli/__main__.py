"""`python -m execeval.cli`: the same as the `execeval` command."""

from execeval.cli import main

main()
