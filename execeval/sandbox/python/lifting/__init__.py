"""Lifted asserts: trusted test expressions evaluated under caps, the candidate's calls compared outside it.

`plan.py` decides which asserts of a job are lifted (`lift_job`), `testexpr.py` evaluates a trusted expression,
`testcalls.py` lists the builtins and methods it may call.
"""
