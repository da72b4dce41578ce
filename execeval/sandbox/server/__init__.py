"""The fork-server process: one per worker, started fresh by `forkserver.py`, forks once per job.

- `process.py`: the server's loop, the job's child and its supervision (limits, pipes, streamed case lines).
  `Server._run_in` picks how a `PythonTests` job's asserts are judged: lifted, in-process or split.
- `wire.py`: the framed pipe protocol between the harness and a server, and the test tuples it holds.
- `reportlines.py`: the job's result lines turned into case results (lifted cases compared here).
"""
