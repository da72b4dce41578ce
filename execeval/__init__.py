"""execeval: tells, by running it, whether code written by a language model is correct."""

__version__ = "0.1.0"
