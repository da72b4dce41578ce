"""The hub's parquet exports of benchmark files, read as the JSON Lines they were made from.

Why: Hugging Face serves every dataset as parquet (`refs/convert/parquet`), with the same column names as the
JSONL its project publishes, and many users have only that copy. Turning the rows into JSON Lines text here lets
every loader read them unchanged, and a message's "file:line" then names the row (1-based). pyarrow is an optional
extra (`pip install 'execeval[parquet]'`): heavy, and needed only for these files.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
from typing import Any

from execeval.errors import ExecevalError, UsageError

__all__ = ["PARQUET_MAGIC", "is_parquet", "parquet_to_jsonl"]

PARQUET_MAGIC = b"PAR1"  # at the start and the end of every parquet file


def is_parquet(data: bytes) -> bool:
    return data[:4] == PARQUET_MAGIC and data[-4:] == PARQUET_MAGIC


def _plain(value: Any) -> Any:
    """What JSON would have held: text for bytes (UTF-8, else base64) and ISO dates."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError(f"a parquet value of type {type(value).__name__} has no JSON form")


def parquet_to_jsonl(data: bytes, name: str, error: type[ExecevalError]) -> str:
    """One JSON object per row, in file order; nested columns (structs, lists) as JSON objects and arrays."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(f"{name} is a parquet file, and reading parquet needs pyarrow",
                         hint="pip install 'execeval[parquet]', or use the benchmark's JSONL file") from None
    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - pyarrow's errors are many; each means "not a readable parquet file"
        raise error(f"{name}: not a readable parquet file ({type(e).__name__}: {e})") from None
    try:
        return "".join(json.dumps(row, default=_plain, ensure_ascii=False) + "\n" for row in table.to_pylist())
    except TypeError as e:
        raise error(f"{name}: {e}") from None
