"""The process a Step Into runs its super-step in (``python -m wtb.dap.step``), seen from the adapter.

It is started with the edits and the answer the step takes, says on its first stdout line
where its debugpy listens, and forwards everything else it writes as ``output`` events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from wtb.errors import InvalidStateError

Output = Callable[[str, str], None]


class StepProcess:
    def __init__(self, workspace: Path, data_dir: Path, execution_id: str, output: Output) -> None:
        self._command = [sys.executable, "-X", "frozen_modules=off", "-m", "wtb.dap.step",
                         "--workspace", str(workspace), "--data-dir", str(data_dir), "--execution", execution_id]
        self._cwd = workspace
        self._output = output
        self._process: subprocess.Popen[str] | None = None

    def start(self, edits: dict[str, Any], answer: Any, answered: bool, on_error: bool) -> tuple[str, int]:
        """Start it; where its debugpy listens (the child debug session attaches there)."""
        command = list(self._command)
        if edits:
            command += ["--state-updates", json.dumps(edits)]
        if answered:
            command += ["--resume-value", json.dumps(answer)]
        if on_error:
            command.append("--on-error")
        env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(command, cwd=self._cwd, env=env, text=True, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._process = process
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(target=self._forward, args=(process.stderr, "stderr"), daemon=True).start()
        first = process.stdout.readline()
        try:
            host, port = json.loads(first)["debugpy"]
        except (ValueError, KeyError, TypeError):
            process.wait()
            raise InvalidStateError(f"Step Into could not start Python's debugger: {first.strip()}") from None
        threading.Thread(target=self._forward, args=(process.stdout, "stdout"), daemon=True).start()
        return str(host), int(port)

    def wait(self) -> int:
        assert self._process is not None
        return self._process.wait()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()

    def _forward(self, stream: IO[str], category: str) -> None:
        for line in stream:
            if category == "stdout" and line.startswith('{"status"'):
                continue
            self._output(line, category)
