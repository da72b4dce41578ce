"""Samples: the code a model wrote, read from the files other harnesses write, and matched to tasks.

- `model.py`: `Sample` (one generation) and `SampleSet` (one file's samples and its skipped lines).
- `formats.py`: `load_samples`, every format people already have (human-eval, EvalPlus, bigcode, LiveCodeBench,
  MultiPL-E), detected from the file; a malformed line names file:line.
- `matching.py`: `match_samples` (lenient task ids) and `program_for` (the program a sample stands for).
"""

from execeval.samples.formats import load_samples
from execeval.samples.matching import Matching, match_samples, program_for
from execeval.samples.model import Kind, Sample, SampleSet

__all__ = ["Kind", "Matching", "Sample", "SampleSet", "load_samples", "match_samples", "program_for"]
