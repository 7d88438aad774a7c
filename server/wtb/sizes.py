"""Sizes people write (``"50MB"``, ``"1.5GiB"``, ``1024``) as byte counts, in one place.

Used for ``FileTrackingConfig.max_file_size``, ``NodeResourceConfig.memory`` and
``prune(max_storage=...)``. Units are binary (1 KB = 1024 bytes), as Ray reports memory.
"""

from __future__ import annotations

import re

from wtb.errors import InvalidArgumentError

_UNITS = {
    f"{prefix}{suffix}": 1024**power
    for power, prefix in enumerate(("", "k", "m", "g", "t"))
    for suffix in (("", "b") if power == 0 else ("", "b", "ib"))
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_size(value: str | int | float, what: str = "size") -> int:
    """Bytes from a size; a clear :class:`InvalidArgumentError` naming ``what`` otherwise."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a size like '50MB' or a byte count, not {value!r}.")
    if isinstance(value, (int, float)):
        if value < 0:
            raise InvalidArgumentError(f"{what} must not be negative: {value}.")
        return int(value)
    match = _SIZE.fullmatch(value)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise InvalidArgumentError(f"{what} {value!r} is not a size like '50MB', '512KB', '2GB' or a byte count.")
    return int(float(match.group(1)) * _UNITS[unit])
