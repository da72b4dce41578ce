"""What a run leaves behind, written and read in one place.

- `store.py`: the SQLite run store (verdicts, references, generations, protocol records) that makes reruns free.
- `files.py`: results.jsonl and summary.json (docs/run-format.md), and reading a run directory back.
"""
