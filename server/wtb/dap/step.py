"""Step Into: run one super-step in a process of its own under debugpy.

``python -m wtb.dap.step --workspace W --data-dir D --execution X [--state-updates JSON]
[--resume-value JSON] [--on-error]`` starts debugpy listening on a free loopback port,
writes ``{"debugpy": [host, port]}`` as its first stdout line, waits for the editor's
Python debugger to attach (the adapter asks the editor for that child session with DAP's
``startDebugging``), then resumes the execution for one super-step
(``PauseStrategyConfig(every_step=True)``). The node's own lines stop at the red dots the
editor sends to the child session.

Why a process of its own: a debugger in the adapter's process would suspend the adapter's
threads too (debugpy stops every thread at a breakpoint), and the graph session must keep
answering. The run takes the execution's lock like any run, so the adapter sees it end
through the SDK, and Pause/Stop reach it through the SDK's cancel.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from wtb.config import PauseStrategyConfig


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wtb.dap.step")
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--execution", required=True)
    parser.add_argument("--state-updates", default=None)
    parser.add_argument("--resume-value", default=None)
    parser.add_argument("--on-error", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)

    import debugpy

    host, port = debugpy.listen(("127.0.0.1", 0))
    print(json.dumps({"debugpy": [host, port]}), flush=True)
    debugpy.wait_for_client()

    from wtb.sdk.bench import WTBTestBench

    with WTBTestBench.create(workspace=args.workspace, data_dir=args.data_dir) as bench:
        execution = bench.resume(
            args.execution,
            state_updates=json.loads(args.state_updates) if args.state_updates else None,
            resume_value=json.loads(args.resume_value) if args.resume_value else None,
            pause=PauseStrategyConfig(every_step=True, on_error=args.on_error),
        )
    print(json.dumps({"status": execution.status.value}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
