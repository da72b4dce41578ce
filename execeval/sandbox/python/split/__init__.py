"""Split jobs: the tests run in one process, the candidate in another; only plain data crosses.

`remote.py` is the tests' end of the call pipe (and the design), `candidate_end.py` the candidate's end,
`handles.py` the values that stay in the candidate's process as both ends see them, `callwire.py` the pipe's
format, `guard.py` what may cross.
"""
