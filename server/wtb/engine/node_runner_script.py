"""Runs nodes inside their own environment. Executed by path, with only stdlib + msgpack.

It serves calls for as long as WTB keeps it: each request and reply is a 4-byte
big-endian length followed by msgpack. A request is ``{"dir": cwd, "ref": "module:function",
"state": {...}}``; the reply is ``{"ok": update, "log": text}`` or ``{"error": [type,
message, traceback], "log": text}``. The node's prints are captured per call into ``log``
(WTB appends it to the execution's log), so they never corrupt the protocol. A module is
imported again when its file changed, so an edited node runs as edited.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import os
import struct
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, BinaryIO

_modules: dict[str, tuple[float, Any]] = {}


def _load(directory: str, reference: str) -> Any:
    target, _, attr = reference.rpartition(":")
    file = os.path.join(directory, target) if target.endswith(".py") else None
    path = file if file is not None else _module_file(target)
    mtime = os.stat(path).st_mtime if path and os.path.exists(path) else 0.0
    cached = _modules.get(target)
    if cached is None or cached[0] != mtime:
        if file is not None:
            spec = importlib.util.spec_from_file_location(_module_name(directory, file), file)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {target}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        elif target in sys.modules:
            module = importlib.reload(sys.modules[target])
        else:
            module = importlib.import_module(target)
        _modules[target] = (mtime, module)
    return getattr(_modules[target][1], attr)


def _module_name(directory: str, path: str) -> str:
    """A private name for a node's file; inside a package (folders with ``__init__.py`` up from
    it, below ``directory``) a module of that package, its parent folder on ``sys.path``, so its
    relative imports work (as WTB's own loader imports workflow files)."""
    name = "wtb_node_" + str(abs(hash(path)))
    parts: list[str] = []
    folder = os.path.dirname(os.path.abspath(path))
    top = os.path.abspath(directory)
    while (
        folder != top
        and folder.startswith(top + os.sep)
        and os.path.basename(folder).isidentifier()
        and os.path.isfile(os.path.join(folder, "__init__.py"))
    ):
        parts.append(os.path.basename(folder))
        folder = os.path.dirname(folder)
    if not parts:
        return name
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return ".".join([*reversed(parts), name])


def _module_file(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    return spec.origin if spec else None


def _read(stream: BinaryIO) -> bytes | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return stream.read(size)


def _write(stream: BinaryIO, payload: bytes) -> None:
    stream.write(struct.pack(">I", len(payload)) + payload)
    stream.flush()


def _call(request: dict[str, Any]) -> dict[str, Any]:
    captured = io.StringIO()
    directory = request["dir"]
    if directory not in sys.path:
        sys.path.insert(0, directory)
    os.chdir(directory)
    try:
        with redirect_stdout(captured), redirect_stderr(captured):
            update = _load(directory, request["ref"])(request["state"])
        return {"ok": update, "log": captured.getvalue()}
    except BaseException as exc:
        return {"error": [type(exc).__name__, str(exc), traceback.format_exc()], "log": captured.getvalue()}


def main() -> None:
    import msgpack

    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    while True:
        raw = _read(requests)
        if raw is None:
            return
        reply = _call(msgpack.unpackb(raw, raw=False))
        try:
            payload = msgpack.packb(reply, use_bin_type=True)
        except TypeError as exc:
            message = f"the node's update cannot be sent back as msgpack: {exc}"
            payload = msgpack.packb({"error": ["TypeError", message, ""], "log": reply.get("log", "")})
        _write(replies, payload)


if __name__ == "__main__":
    main()
