"""Split jobs: the tests run in one process, the candidate in another; only plain data crosses.

`remote.py` is both ends of the call pipe, `callwire.py` its format, `guard.py` what may cross.
"""
