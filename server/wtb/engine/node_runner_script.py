"""Runs ONE node inside its own environment. Executed by path, with only stdlib + msgpack.

Protocol: argv = [workspace, "module:function"]; stdin = msgpack of the state; stdout =
msgpack of ``{"ok": update}`` or ``{"error": [type, message, traceback]}``. The node's own
prints go to stderr (captured into the execution's log), so they cannot corrupt stdout.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from typing import Any


def _load(workspace: str, reference: str) -> Any:
    target, _, attr = reference.rpartition(":")
    if target.endswith(".py"):
        spec = importlib.util.spec_from_file_location("wtb_node_module", os.path.join(workspace, target))
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {target}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    return getattr(module, attr)


def main() -> None:
    import msgpack

    workspace, reference = sys.argv[1], sys.argv[2]
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    sys.path.insert(0, workspace)
    os.chdir(workspace)
    state = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
    try:
        update = _load(workspace, reference)(state)
        reply = {"ok": update}
    except BaseException as exc:
        reply = {"error": [type(exc).__name__, str(exc), traceback.format_exc()]}
    try:
        payload = msgpack.packb(reply, use_bin_type=True)
    except TypeError as exc:
        message = f"the node's update cannot be sent back as msgpack: {exc}"
        payload = msgpack.packb({"error": ["TypeError", message, ""]})
    out.write(payload)
    out.flush()


if __name__ == "__main__":
    main()
