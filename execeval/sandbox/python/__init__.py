"""Running a Python job inside the forked child: the candidate's program and its tests.

- `runner.py`: `run_python_tests` (in-process asserts; `Candidate` is what it needs of a candidate in another
  process) and `run_script`.
- `lifting/`: asserts whose arguments and expected values are trusted test expressions are evaluated here, in the
  server, and only the candidate's calls run in the child; compared outside the candidate's reach.
- `split/`: asserts that cannot be lifted run in a trusted tests' process that calls the candidate in another
  process over a pipe (`remote.py`, `candidate_end.py`, `callwire.py`), crossing only plain data (`guard.py`).
- `snapshot.py`: the interpreter as it was before any job, put back after the candidate patched it.
- `tracebacks.py`, `outputtext.py`: what a failure says, and large outputs encoded at C speed.
- `casetimer.py`, `cpuclock.py`: each case's CPU limit (ITIMER_PROF) and its exact CPU time.
"""
