"""JSON run files (summaries, records, states): written whole or not at all.

* :func:`write_json`: writes a value as indented JSON to a temporary file in the
  target's folder and renames it onto the target, so a writer that is killed
  (or a value that cannot be written) never leaves half a file under the real
  name. numpy scalars and arrays, paths and tuples are written as JSON numbers,
  strings and lists; any other type raises ``TypeError`` unless the caller
  passes a ``default``.
* :func:`read_json`: reads one back; a missing or malformed file raises
  :class:`~lidendrite.errors.InputError` with a one-line message naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lidendrite.errors import InputError

__all__ = ["read_json", "write_json"]

# keys and values JSON writes itself (subclasses too, e.g. numpy.float64, str enums)
_KEY_TYPES = (str, int, float, bool, type(None))


def write_json(
    obj: Any,
    path: str | os.PathLike,
    *,
    indent: int | None = 2,
    default: Callable[[Any], Any] | None = None,
) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically; return ``path`` as a :class:`~pathlib.Path`.

    The parent folder is created. The text goes to a hidden temporary file beside
    ``path`` that is then renamed onto it (:func:`os.replace`), so ``path`` holds
    either its previous content or the whole new one, and the temporary file is
    removed when anything fails. The file ends with a newline.

    Dicts, lists, tuples (as lists), strings, numbers, booleans and ``None`` are
    written as JSON writes them; numpy scalars become Python numbers, numpy
    arrays lists, :class:`os.PathLike` strings, numpy scalar dict keys the JSON
    key of their Python value. Any other value is passed to ``default``, whose
    result is written in its place (``default=str`` writes its text); without
    ``default`` it raises ``TypeError`` naming its type, and nothing is written.
    """
    path = Path(path)
    text = json.dumps(_plain(obj, default), indent=indent) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_json(path: str | os.PathLike) -> Any:
    """The value stored in the JSON file ``path``.

    Raises :class:`~lidendrite.errors.InputError` naming the file when it does
    not exist or cannot be read, and naming file, line and column when its text
    is not valid JSON.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read JSON file ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None


def _plain(obj: Any, default: Callable[[Any], Any] | None) -> Any:
    """``obj`` with every value JSON cannot write itself converted (see :func:`write_json`)."""
    if isinstance(obj, dict):
        return {_key(k): _plain(v, default) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v, default) for v in obj]
    if isinstance(obj, _KEY_TYPES):
        return obj
    if isinstance(obj, np.generic):
        return _plain(obj.item(), default)
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist(), default)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if default is not None:
        return _plain(default(obj), default)
    raise TypeError(f"cannot write a value of type {type(obj).__name__} as JSON: {obj!r:.80}")


def _key(key: Any) -> Any:
    """A dict key JSON can write: numpy scalars as their Python value, others unchanged
    (:func:`json.dumps` rejects the rest with ``TypeError``)."""
    if isinstance(key, np.generic):
        return key.item()
    return key
