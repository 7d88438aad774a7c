"""Channel values stored by content: a growing ``messages`` list costs O(run), not O(run²).

LangGraph's ``SqliteSaver`` stores each checkpoint's channel values whole, so a list that
gains one message per step is written again at every step. :class:`~wtb.engine.checkpointer.
TrackingSaver` (WTB's runs and ``WTBSaver``) hands each checkpoint to :meth:`StateValues.encode`
before ``SqliteSaver.put`` and each checkpoint it reads to :meth:`StateValues.decode`:

* A channel value whose serialised form (the saver's own ``serde.dumps_typed``) is
  ``INLINE_MAX`` bytes or more moves to table ``wtb_state_values`` (hash → bytes) of the
  checkpoint database; the checkpoint keeps ``None`` in its place (so the channels keep
  their order) and names the value in its own top-level key :data:`MARK`
  (``{channel: reference}``). LangGraph never writes that key and a user's value cannot
  reach it (it is outside ``channel_values``), and a checkpoint without it (any checkpoint
  written before, or by a plain ``SqliteSaver``) reads exactly as before.
* A ``list`` is stored as a node of table ``wtb_state_lists``: the hash of a previous
  node whose elements are its prefix (``base``), plus the hashes of the elements after
  it. Each element is a row of ``wtb_state_values``, written once, so appending one 1 KB
  message to a 400-message list writes that message and a 33-byte node. Reading walks the
  chain in one recursive query and hands LangGraph's serializer one msgpack array made of
  the elements' stored bytes: the same bytes, decoded the same way, as the whole list
  inside a ``SqliteSaver`` checkpoint.
* Pending writes likewise (:meth:`StateValues.encode_write`): a large write value becomes a
  reference under its channel's name prefixed with :data:`WRITE_MARK`, and a written
  ``[message]`` names the same element row as the state list that receives it.
* A value that did not change is not written again (same hash). Every value is still
  serialised at each checkpoint, as ``SqliteSaver`` does: correctness never rests on
  LangGraph's channel versions or on objects not being mutated in place.

Hashes are BLAKE2b-128 of a kind byte and the serialised bytes. The values are written in
the same transaction as the checkpoint row (``BEGIN IMMEDIATE`` before, ``SqliteSaver``'s
commit after) and :func:`collect` deletes unreferenced ones in one such transaction, so a
collector in another process never removes a value between a put's check and its commit.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import WRITES_IDX_MAP

from wtb.errors import DamagedStoreError

#: The checkpoint's key naming its stored values: ``{channel: kind byte + 16-byte hash}``.
MARK = "__wtb_values__"
#: Values serialised smaller than this stay inside the checkpoint (or the write).
INLINE_MAX = 256
#: The channel of a pending write whose value is stored by reference (then the ``bytes`` value):
#: a NUL byte and WTB's name before the channel's own name.
WRITE_MARK = "\x00wtb\x00"
HASH_SIZE = 16
WHOLE = b"v"
LIST = b"l"
_CHUNK = 500  # hashes per ``IN (...)`` query
#: Lists whose latest node each saver keeps in memory (one per thread, namespace and channel),
#: and the most bytes they may hold together (a long-lived server sees many threads).
LISTS_KEPT = 64
LISTS_KEPT_BYTES = 64 << 20

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS wtb_state_values (hash BLOB PRIMARY KEY, type TEXT NOT NULL, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wtb_state_lists (hash BLOB PRIMARY KEY, base BLOB, items BLOB NOT NULL, "
    "length INTEGER NOT NULL, size INTEGER NOT NULL)",
)

_CHAIN = """
WITH RECURSIVE chain(hash, base, items, depth) AS (
  SELECT hash, base, items, 0 FROM wtb_state_lists WHERE hash = ?
  UNION ALL
  SELECT l.hash, l.base, l.items, chain.depth + 1 FROM wtb_state_lists l JOIN chain ON l.hash = chain.base
)
SELECT items FROM chain ORDER BY depth DESC
"""


def digest(kind: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(kind + data, digest_size=HASH_SIZE).digest()


@dataclass
class _KnownList:
    """The latest list node a saver wrote for one channel: the base of the next append."""

    node: bytes
    hashes: tuple[bytes, ...]
    body: bytes  # the elements' serialised bytes, concatenated


@dataclass
class StateStorage:
    """What the value store holds (``bytes_stored``) against what checkpoints reference
    through it (``bytes_referenced``: each value counted once per checkpoint naming it,
    as a plain ``SqliteSaver`` would store it)."""

    values: int
    lists: int
    bytes_stored: int
    bytes_referenced: int
    checkpoints: int
    dedup_ratio: float


@dataclass
class StateGcReport:
    values_removed: int = 0
    lists_removed: int = 0
    bytes_freed: int = 0


class StateValues:
    """The value store of one checkpoint connection.

    The serializer is the caller's at each call: LangGraph may use a shallow copy of the saver
    with a stricter one (``with_allowlist``), which shares this object.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.writable = True
        self._ready = False
        self._lists: OrderedDict[tuple[str, str, str], _KnownList] = OrderedDict()

    def setup(self) -> None:
        if self._ready:
            return
        try:
            for statement in SCHEMA:
                self.conn.execute(statement)
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):
                raise
            self.writable = False  # a read-only file: old checkpoints still read, puts fail in SqliteSaver
        self._ready = True

    # -- writing --

    def encode(
        self,
        serde: Any,
        thread_id: str,
        namespace: str,
        checkpoint: Mapping[str, Any],
        parent_refs: Callable[[], Mapping[str, bytes]],
    ) -> Mapping[str, Any]:
        """The checkpoint to give ``SqliteSaver.put``: large values replaced by references
        (written here, inside the caller's transaction). ``parent_refs`` gives the parent
        checkpoint's references, asked only when a list's base is not known here."""
        values = checkpoint.get("channel_values")
        if not isinstance(values, dict) or not values:
            return checkpoint
        kept: dict[str, Any] = {}
        refs: dict[str, bytes] = {}
        for channel, value in values.items():
            ref = self._store(serde, (thread_id, namespace, str(channel)), value, parent_refs)
            if ref is None:
                kept[channel] = value
            else:
                kept[channel] = None
                refs[channel] = ref
        if not refs:
            return checkpoint
        return {**checkpoint, "channel_values": kept, MARK: refs}

    def _store(
        self, serde: Any, key: tuple[str, str, str], value: Any, parent_refs: Callable[[], Mapping[str, bytes]]
    ) -> bytes | None:
        kind, data = serde.dumps_typed(value)
        if kind != "msgpack" or len(data) < INLINE_MAX:
            return None
        if type(value) is list and data.startswith(array_header(len(value))):
            node = self._store_list(serde, key, value, data[len(array_header(len(value))) :], parent_refs)
            if node is not None:
                return LIST + node
        return WHOLE + self._put_value(data)

    def encode_write(self, serde: Any, channel: str, value: Any) -> tuple[str, Any]:
        """A pending write as ``SqliteSaver.put_writes`` should store it: a large value by
        reference, under its channel's name marked with :data:`WRITE_MARK` (a list's elements
        are the rows its state list holds too, so a message is stored once)."""
        if channel in WRITES_IDX_MAP:  # LangGraph's own channels (errors, interrupts) keep their slots
            return channel, value
        kind, data = serde.dumps_typed(value)
        if kind != "msgpack" or len(data) < INLINE_MAX:
            return channel, value
        header = array_header(len(value)) if type(value) is list else None
        if header is not None and data.startswith(header):
            encoded = _elements(serde, value)
            if encoded is not None and b"".join(encoded) == data[len(header) :]:
                hashes = [digest(WHOLE, item) for item in encoded]
                self.conn.executemany("INSERT OR IGNORE INTO wtb_state_values VALUES (?, 'msgpack', ?)",
                                      zip(hashes, encoded, strict=True))
                joined = b"".join(hashes)
                node = digest(LIST, b"\x00" + joined)
                self.conn.execute("INSERT OR IGNORE INTO wtb_state_lists VALUES (?, NULL, ?, ?, ?)",
                                  (node, joined, len(value), len(data) - len(header)))
                return WRITE_MARK + channel, LIST + node
        return WRITE_MARK + channel, WHOLE + self._put_value(data)

    def decode_writes(self, serde: Any, writes: list[Any]) -> list[Any]:
        """Pending writes as LangGraph stored them: values by reference put back."""
        return [
            (task, channel[len(WRITE_MARK) :], serde.loads_typed(("msgpack", value_bytes(self.conn, bytes(value)))))
            if isinstance(channel, str) and channel.startswith(WRITE_MARK) else (task, channel, value)
            for task, channel, value in writes
        ]

    def _put_value(self, data: bytes) -> bytes:
        found = digest(WHOLE, data)
        self.conn.execute("INSERT OR IGNORE INTO wtb_state_values VALUES (?, 'msgpack', ?)", (found, data))
        return found

    def _store_list(
        self,
        serde: Any,
        key: tuple[str, str, str],
        items: list[Any],
        body: bytes,
        parent_refs: Callable[[], Mapping[str, bytes]],
    ) -> bytes | None:
        """The node of a list whose elements serialise to ``body``; ``None`` when the list
        cannot be cut into its elements' bytes (a serializer that encodes a list otherwise)."""
        known = self._lists.get(key)
        if known is not None and not (body.startswith(known.body) and self._exists(known.node)):
            known = None
        if known is not None and len(body) == len(known.body):
            self._lists.move_to_end(key)
            return known.node
        start = len(known.hashes) if known is not None else 0
        encoded = _elements(serde, items[start:])
        if encoded is None or b"".join(encoded) != body[len(known.body) if known is not None else 0 :]:
            return None
        hashes = tuple(digest(WHOLE, data) for data in encoded)
        if known is None:
            known = self._parent_base(key, hashes, parent_refs)
            if known is not None:
                start = len(known.hashes)
                encoded, hashes = encoded[start:], hashes[start:]
        self.conn.executemany(
            "INSERT OR IGNORE INTO wtb_state_values VALUES (?, 'msgpack', ?)", zip(hashes, encoded, strict=True)
        )
        base = known.node if known is not None else None
        joined = b"".join(hashes)
        node = digest(LIST, (b"\x01" + base if base else b"\x00") + joined)
        self.conn.execute(
            "INSERT OR IGNORE INTO wtb_state_lists VALUES (?, ?, ?, ?, ?)", (node, base, joined, len(items), len(body))
        )
        self._lists[key] = _KnownList(node, (known.hashes if known else ()) + hashes, body)
        self._lists.move_to_end(key)
        kept = sum(len(k.body) for k in self._lists.values())
        while len(self._lists) > LISTS_KEPT or (kept > LISTS_KEPT_BYTES and len(self._lists) > 1):
            kept -= len(self._lists.popitem(last=False)[1].body)
        return node

    def _parent_base(
        self, key: tuple[str, str, str], hashes: tuple[bytes, ...], parent_refs: Callable[[], Mapping[str, bytes]]
    ) -> _KnownList | None:
        """The parent checkpoint's list of this channel, when it is a prefix of the new one
        (a saver opened for a resume, or time travel from an older checkpoint)."""
        ref = parent_refs().get(key[2])
        if not ref or ref[:1] != LIST:
            return None
        node = bytes(ref[1:])
        before = split_hashes(b"".join(chain_items(self.conn, node)))
        if not before or len(before) > len(hashes) or tuple(before) != hashes[: len(before)]:
            return None
        return _KnownList(node, tuple(before), b"")

    def _exists(self, node: bytes) -> bool:
        return self.conn.execute("SELECT 1 FROM wtb_state_lists WHERE hash = ?", (node,)).fetchone() is not None

    # -- reading --

    def decode(self, serde: Any, checkpoint: Any) -> Any:
        """The checkpoint as LangGraph stored it: references replaced by their values."""
        if not isinstance(checkpoint, dict) or MARK not in checkpoint:
            return checkpoint
        refs = checkpoint[MARK]
        values = dict(checkpoint.get("channel_values") or {})
        recent = {known.node: known for known in self._lists.values()}
        for channel, ref in refs.items():
            ref = bytes(ref)
            # A list this saver just wrote (a thread's head, read at its next invoke): its bytes are here.
            known = recent.get(ref[1:]) if ref[:1] == LIST else None
            data = array_header(len(known.hashes)) + known.body if known else value_bytes(self.conn, ref)
            values[channel] = serde.loads_typed(("msgpack", data))
        rebuilt = {key: value for key, value in checkpoint.items() if key != MARK}
        rebuilt["channel_values"] = values
        return rebuilt


def _elements(serde: Any, items: list[Any]) -> list[bytes] | None:
    encoded = []
    for item in items:
        kind, data = serde.dumps_typed(item)
        if kind != "msgpack":
            return None
        encoded.append(bytes(data))
    return encoded


# -- reading without a serializer (also for a checkpoint carried as bytes, see state_bytes) ---


def value_bytes(conn: sqlite3.Connection, ref: bytes) -> bytes:
    """The msgpack bytes of a referenced value: a whole value's, or a list's as one array."""
    kind, found = ref[:1], ref[1:]
    if kind == WHOLE:
        row = conn.execute("SELECT data FROM wtb_state_values WHERE hash = ?", (found,)).fetchone()
        if row is None:
            raise _missing(found)
        return bytes(row[0])
    if kind != LIST:
        raise DamagedStoreError(f"A checkpoint names a stored value of unknown kind {kind!r}.")
    hashes = split_hashes(b"".join(chain_items(conn, found)))
    data = _values(conn, hashes)
    return array_header(len(hashes)) + b"".join(data[h] for h in hashes)


def chain_items(conn: sqlite3.Connection, node: bytes) -> list[bytes]:
    """The element hashes of a list node's chain, oldest node first (one query)."""
    rows = [bytes(row[0]) for row in conn.execute(_CHAIN, (node,))]
    if not rows:
        raise _missing(node)
    return rows


def _values(conn: sqlite3.Connection, hashes: list[bytes]) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for key, data in conn.execute(f"SELECT hash, data FROM wtb_state_values WHERE hash IN ({marks})", chunk):
            found[bytes(key)] = bytes(data)
    for key in unique:
        if key not in found:
            raise _missing(key)
    return found


def _missing(found: bytes) -> DamagedStoreError:
    return DamagedStoreError(
        f"A checkpoint names state value {found.hex()}, which the checkpoint database does not hold "
        "(the file was edited, or copied without its wtb_state_values/wtb_state_lists tables)."
    )


def array_header(count: int) -> bytes:
    if count < 16:
        return bytes([0x90 | count])
    if count < 1 << 16:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def split_hashes(joined: bytes) -> list[bytes]:
    return [joined[i : i + HASH_SIZE] for i in range(0, len(joined), HASH_SIZE)]


# -- retention and statistics -----------------------------------------------------------------


def references(checkpoints: Iterable[Any]) -> Iterator[bytes]:
    """Every reference the given (undecoded) checkpoint tuples hold, in their values and
    pending writes, once per checkpoint."""
    for found in checkpoints:
        checkpoint = found.checkpoint
        refs = checkpoint.get(MARK) if isinstance(checkpoint, dict) else None
        for ref in (refs or {}).values():
            yield bytes(ref)
        for _, channel, value in found.pending_writes or ():
            if isinstance(channel, str) and channel.startswith(WRITE_MARK):
                yield bytes(value)


def collect(conn: sqlite3.Connection, checkpoints: Callable[[], Iterable[Any]]) -> StateGcReport:
    """Delete the values and list nodes no checkpoint references, in one write transaction
    (``checkpoints`` is read inside it, so no put can commit a reference meanwhile)."""
    report = StateGcReport()
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        whole: set[bytes] = set()
        roots: set[bytes] = set()
        for ref in references(checkpoints()):
            (whole if ref[:1] == WHOLE else roots).add(ref[1:])
        nodes = {bytes(h): (bytes(b) if b else None, bytes(items))
                 for h, b, items in conn.execute("SELECT hash, base, items FROM wtb_state_lists")}
        live_nodes: set[bytes] = set()
        for root in roots:
            node: bytes | None = root
            while node is not None and node not in live_nodes and node in nodes:
                live_nodes.add(node)
                whole.update(split_hashes(nodes[node][1]))
                node = nodes[node][0]
        dead_nodes = [(h,) for h in nodes if h not in live_nodes]
        conn.executemany("DELETE FROM wtb_state_lists WHERE hash = ?", dead_nodes)
        report.lists_removed = len(dead_nodes)
        report.bytes_freed = sum(len(nodes[h][1]) for (h,) in dead_nodes)
        dead = [(bytes(h), size) for h, size in conn.execute("SELECT hash, length(data) FROM wtb_state_values")
                if bytes(h) not in whole]
        conn.executemany("DELETE FROM wtb_state_values WHERE hash = ?", [(h,) for h, _ in dead])
        report.values_removed = len(dead)
        report.bytes_freed += sum(size for _, size in dead)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return report


def storage(conn: sqlite3.Connection, checkpoints: Iterable[Any]) -> StateStorage:
    """Bytes the store holds against bytes its checkpoints reference (see :class:`StateStorage`)."""
    sizes = {bytes(h): int(n) for h, n in conn.execute("SELECT hash, length(data) FROM wtb_state_values")}
    list_sizes = {bytes(h): int(n) + len(array_header(int(count)))
                  for h, n, count in conn.execute("SELECT hash, size, length FROM wtb_state_lists")}
    stored_lists = conn.execute("SELECT count(*), coalesce(sum(length(items)), 0) FROM wtb_state_lists").fetchone()
    referenced = 0
    count = 0
    for checkpoint in checkpoints:
        count += 1
        for ref in references([checkpoint]):
            referenced += (sizes if ref[:1] == WHOLE else list_sizes).get(ref[1:], 0)
    stored = sum(sizes.values()) + int(stored_lists[1])
    return StateStorage(
        values=len(sizes),
        lists=int(stored_lists[0]),
        bytes_stored=stored,
        bytes_referenced=referenced,
        checkpoints=count,
        dedup_ratio=round(referenced / stored, 2) if stored else 1.0,
    )
