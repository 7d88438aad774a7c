"""A checkpoint carried as stored bytes, with its values by reference put back inside.

A batch driver hands a checkpoint to its workers as ``SqliteSaver`` stored it, never decoded
(a class of the user's may not be importable in the driver; see :mod:`wtb.batch.checkpoints`).
When WTB's saver stored it, its large values are references into the driver's value store
(:mod:`wtb.engine.state_values`), which the worker's database does not have. Here the
msgpack is cut with ``msgpack.Unpacker.skip`` and spliced: the referenced values' stored
bytes go back into ``channel_values`` and the mark goes away, without decoding a value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import msgpack

from wtb.engine.state_values import MARK, value_bytes
from wtb.errors import DamagedStoreError


def self_contained(conn: sqlite3.Connection, typed: tuple[str, bytes]) -> tuple[str, bytes]:
    """A checkpoint as ``SqliteSaver`` stored it (``(type, bytes)``, never decoded), with its
    referenced values put back inside: what a plain ``SqliteSaver`` elsewhere can store and read.

    The msgpack is cut and spliced, never decoded, so a class of the user's need not be
    importable here (a batch driver carries a checkpoint to its workers this way).
    """
    kind, data = typed
    if kind != "msgpack":
        return typed
    top = _map_items(data)
    if top is None or MARK not in top:
        return typed
    refs = msgpack.unpackb(top.pop(MARK)[1], raw=False)
    values = _map_items(top["channel_values"][1]) if "channel_values" in top else None
    if values is None:
        raise DamagedStoreError("A checkpoint names stored values but has no channel values.")
    for channel, ref in refs.items():
        values[channel] = (values[channel][0] if channel in values else msgpack.packb(channel),
                           value_bytes(conn, bytes(ref)))
    top["channel_values"] = (top["channel_values"][0], _map_bytes(values))
    return kind, _map_bytes(top)


def _map_items(data: bytes) -> dict[Any, tuple[bytes, bytes]] | None:
    """A msgpack map's entries as ``{key: (key bytes, value bytes)}``, values not decoded."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    try:
        count = unpacker.read_map_header()
    except (msgpack.UnpackValueError, ValueError, msgpack.OutOfData):
        return None
    items: dict[Any, tuple[bytes, bytes]] = {}
    for _ in range(count):
        start = unpacker.tell()
        key = unpacker.unpack()
        middle = unpacker.tell()
        unpacker.skip()
        items[key] = (data[start:middle], data[middle : unpacker.tell()])
    return items


def _map_bytes(items: Mapping[Any, tuple[bytes, bytes]]) -> bytes:
    count = len(items)
    if count < 16:
        header = bytes([0x80 | count])
    elif count < 1 << 16:
        header = b"\xde" + count.to_bytes(2, "big")
    else:
        header = b"\xdf" + count.to_bytes(4, "big")
    return header + b"".join(key + value for key, value in items.values())
