"""JSON from outside, read within bounds: the one ``loads`` for bodies we did not write.

Python's parser recurses once per nesting level, so a body of ``[[[[…`` a few thousand deep
raises ``RecursionError`` (a 500) wherever it is parsed, and code that walks the document
(redaction, the database's JSON encoder) fails sooner. It also accepts ``NaN``, ``Infinity``
and ``1e400`` (a float that overflows to infinity), which no JSON column can store. ``loads``
refuses all of these with a ``ValueError`` that says which, so callers keep their one
``except ValueError`` for "not valid JSON".
"""

import itertools
import json
import math
import re
from typing import Any

# HighLevel's payloads nest four levels at most; the API's inputs fewer.
MAX_DEPTH = 64

# A JSON string (with its escapes): removed before counting brackets, which inside strings
# are text. Unrolled so a megabyte-long string is one linear scan.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class UnreadableJSON(ValueError):
    """A body that is not JSON we will read; ``code`` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def nesting_depth(data: bytes | str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a bare value), in linear time."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    steps = memoryview(brackets.translate(_STEPS)).cast("b")  # +1 per opening, -1 per closing
    return max(0, max(itertools.accumulate(steps)))


def _refuse_constant(name: str):
    raise UnreadableJSON("non_finite_number", f"The JSON contains {name}, which is not a number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnreadableJSON("non_finite_number", f"The number {text[:40]} is out of range.")
    return value


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` and non-finite numbers.

    Raises ``UnreadableJSON`` (a ``ValueError``) with ``code`` ``too_deep``,
    ``non_finite_number`` or ``invalid_json``.
    """
    if nesting_depth(data) > max_depth:
        raise UnreadableJSON("too_deep", f"The JSON nests deeper than {max_depth} levels.")
    try:
        return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnreadableJSON:
        raise
    except RecursionError:  # a text the bracket count misjudged (not UTF-8, unclosed string)
        raise UnreadableJSON(
            "too_deep", f"The JSON nests deeper than {max_depth} levels."
        ) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer too long
        raise UnreadableJSON("invalid_json", f"The body is not valid JSON: {exc}") from None
