"""The debuggee: one execution driven through the SDK in a worker thread.

Every motion (start, Continue, Step Over, Step Back, Reverse Continue, Restart Frame) runs
in the session's worker thread, so the adapter's request loop keeps answering (Pause,
Terminate, Threads) while a node runs. A run stops where LangGraph pauses it
(``PauseStrategyConfig``): before the nodes that have breakpoints, after one super-step
for Step Over, on a node's error when the "Node errors" exception breakpoint is on, at an
``interrupt()``. There the session decides whether the pause is a stop (a breakpoint whose
condition and hit count hold) or runs on. Pause and Terminate use the SDK's cancel, which
stops a run before its next step; a paused run is then marked ``paused`` again. Step Into
runs its step in a process of its own under debugpy (``child.py``, ``step.py``) and asks
the editor for a child Python session attached to it.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtb.config import PauseStrategyConfig
from wtb.dap import variables
from wtb.dap.breakpoints import Breakpoint, Breakpoints, NodeSource, definition_line
from wtb.dap.child import StepProcess
from wtb.dap.launch import initial_state, pick_project, start_point
from wtb.errors import InvalidStateError, WTBError
from wtb.models import Checkpoint, Execution, ExecutionError, ExecutionStatus

if TYPE_CHECKING:
    from wtb.sdk.bench import WTBTestBench

Emit = Callable[[str, dict[str, Any]], None]
#: Sends a request to the client (DAP's reverse requests: ``startDebugging``); the callback gets its answer.
Ask = Callable[[str, dict[str, Any], Callable[[bool, str], None]], None]
Respond = Callable[[str | None], None]
#: The thread that stands for the graph itself (while running, or with no task pending).
GRAPH_THREAD = 1
NO_ANSWER = object()


class SessionError(Exception):
    """A request that cannot be done now; its message is the response's error."""


@dataclass
class Stop:
    """Where the debugger stands: an execution's head checkpoint and its state."""

    execution_id: str
    checkpoint: Checkpoint
    #: What the Variables pane shows: the checkpoint's values with the edits made since.
    state: Any
    reason: str
    description: str = ""
    error: ExecutionError | None = None
    interrupts: list[Any] = field(default_factory=list)
    #: The execution's root checkpoints by id (parents for Step Back).
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)


class Session:
    def __init__(self, emit: Emit, ask: Ask | None = None) -> None:
        self._emit = emit
        self._ask = ask
        #: The client starts child sessions (``supportsStartDebuggingRequest``): Step Into attaches Python's debugger.
        self.child_sessions = False
        self._python_type = "debugpy"
        self._child: StepProcess | None = None
        self.bench: WTBTestBench | None = None
        self.breakpoints = Breakpoints()
        self.break_on_error = False
        self.stop: Stop | None = None
        self.project = ""
        self.graph_source: tuple[str, int] | None = None
        self.execution_id: str | None = None
        self.edits: dict[str, Any] = {}
        self.answer: Any = NO_ANSWER
        self.ended = False
        self._no_debug = False
        self._stop_on_entry = False
        self._started = False
        self._threads: dict[str, int] = {}
        self._worker: threading.Thread | None = None
        #: A motion is under way (set when it starts, cleared just before its stopped/terminated event).
        self._moving = False
        self._spawning = threading.Lock()
        self._pause = threading.Event()
        self._terminate = threading.Event()

    # -- what the adapter reads ------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._moving

    def stopped(self) -> Stop:
        if self.stop is None or self.busy:
            raise SessionError("The workflow is running; pause it first.")
        return self.stop

    def thread_id(self, node: str) -> int:
        return self._threads.setdefault(node, len(self._threads) + GRAPH_THREAD + 1)

    def node_of(self, thread_id: int) -> str | None:
        return next((name for name, tid in self._threads.items() if tid == thread_id), None)

    def source_of(self, node: str) -> NodeSource | None:
        return next((n for n in self.breakpoints.nodes if n.node == node and not n.within), None)

    # -- launch ------------------------------------------------------------------------------
    def launch(self, args: dict[str, Any], respond: Respond) -> None:
        """Open the bench, make the execution, load the graph (workflow code: in the worker)."""

        def work() -> None:
            try:
                self._open(args)
            except Exception as exc:
                respond(f"{type(exc).__name__}: {exc}" if not isinstance(exc, WTBError) else str(exc))
                return
            self._moving = False
            respond(None)
            self._emit("initialized", {})

        self._spawn(work)

    def _open(self, args: dict[str, Any]) -> None:
        from wtb.sdk.bench import WTBTestBench

        workspace = Path(args.get("workspace") or args.get("cwd") or ".").resolve()
        self.bench = bench = WTBTestBench.create(workspace=workspace, data_dir=args.get("dataDir") or None)
        self._no_debug = bool(args.get("noDebug"))
        self._stop_on_entry = bool(args.get("stopOnEntry"))
        self._python_type = str(args.get("pythonDebugType") or "debugpy")
        start = args.get("checkpoint")
        if start:
            source, checkpoint = start_point(start)
            execution = bench.fork(source, checkpoint, name=args.get("name"))
            self._started = True
        else:
            project = pick_project(bench, args, workspace)
            execution = bench.create_execution(project, initial_state(args, workspace), args.get("config"),
                                               name=args.get("name"))
        self.execution_id, self.project = execution.id, execution.project
        self._emit("output", {"category": "console", "output": f"WTB: debugging {self.project} as execution "
                                                              f"{execution.id} (data in {bench.data_dir})\n"})
        graph = bench.get_graph(self.project)
        for bp in self.breakpoints.load(graph):
            self._emit("breakpoint", {"reason": "changed", "breakpoint": bp.to_dap()})
        reference = bench.get_project(self.project).reference
        if reference and ":" in reference:
            file, attr = reference.rsplit(":", 1)
            path = str((workspace / file).resolve())
            self.graph_source = (path, definition_line(path, attr))

    # -- motions -------------------------------------------------------------------------------
    def configuration_done(self) -> None:
        self._move("start")

    def continue_(self) -> None:
        self._check_answer()
        self._move("continue")

    def next_(self) -> None:
        self._check_answer()
        self._move("next")

    def step_in(self) -> None:
        """Run one super-step in a process of its own with Python's debugger attached (a child session)."""
        stop = self.stopped()
        self._check_answer()
        if not self.child_sessions or self._ask is None or self._no_debug:
            self._output("Step Into needs an editor that starts child debug sessions (startDebugging): "
                         "stepping over.\n")
            self._move("next")
            return
        self._pause.clear()
        self._spawn(lambda: self._step_in(stop))

    def step_back(self) -> None:
        ancestors = _ancestors(self.stopped())
        if not ancestors:
            raise SessionError("This is the execution's first step: there is no checkpoint before it.")
        self._spawn(lambda: self._roll_back(ancestors[0], "step", ""))

    def reverse_continue(self) -> None:
        stop = self.stopped()
        assert self.bench is not None and self.execution_id is not None
        bench, execution_id = self.bench, self.execution_id
        ancestors = _ancestors(stop)
        if not ancestors:
            raise SessionError("This is the execution's first step: there is no checkpoint before it.")

        def work() -> None:
            for checkpoint in ancestors:
                hits, _ = self.breakpoints.hit(
                    checkpoint.next, _evaluator(bench.get_state(execution_id, checkpoint.id)), count=False
                )
                if hits:
                    self._roll_back(checkpoint, "breakpoint", "Reverse Continue: the previous breakpoint", hits)
                    return
            self._roll_back(ancestors[-1], "step", "Reverse Continue: no earlier breakpoint; the first step")

        self._spawn(work)

    def restart_frame(self) -> None:
        """Fork a new execution from the checkpoint the debugger stands on, and follow it."""
        stop = self.stopped()
        assert self.bench is not None
        bench = self.bench

        def work() -> None:
            fork = bench.fork(stop.execution_id, stop.checkpoint.id, name=f"debug fork of {stop.execution_id}")
            self.execution_id = fork.id
            self._output(f"Forked execution {fork.id} from checkpoint {stop.checkpoint.id} of {stop.execution_id}.\n")
            self._stop_at(bench.get_execution(fork.id), "restart", "Forked from this checkpoint")

        self._spawn(work)

    def pause(self) -> None:
        if not self.busy:
            return
        self._pause.set()
        threading.Thread(target=self._ask_to_stop, name="wtb-dap-pause", daemon=True).start()

    def terminate(self) -> None:
        if self.ended:
            return
        self._terminate.set()
        if self.busy:
            self._pause.set()
            threading.Thread(target=self._ask_to_stop, name="wtb-dap-terminate", daemon=True).start()
            return
        self._end_stopped()

    def close(self, wait_s: float = 5.0) -> bool:
        """End the session; False when a node is still running in the worker (the caller exits the process)."""
        self.terminate()
        if self._child is not None:  # a Step Into process must not outlive the session
            self._child.stop()
        worker = self._worker
        if worker is not None:
            worker.join(wait_s)
            if worker.is_alive():
                if self.bench is not None and self.execution_id is not None:
                    self.bench.mark_finished(self.execution_id, ExecutionStatus.CANCELLED, ExecutionError(
                        None, "Cancelled", "The debug session ended while a node was running."))
                return False
        if self.bench is not None:
            self.bench.close()
        return True

    # -- the worker ------------------------------------------------------------------------------
    def _spawn(self, work: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                work()
            except Exception as exc:
                self._could_not_move(exc)
            finally:
                with self._spawning:  # unless a newer motion started after this one stopped
                    if self._worker is threading.current_thread():
                        self._moving = False

        with self._spawning:
            if self.busy:
                raise SessionError("The workflow is running; pause it first.")
            if self.ended:
                raise SessionError("The debug session has ended.")
            self._moving = True
            self._worker = threading.Thread(target=guarded, name="wtb-dap-run", daemon=True)
            self._worker.start()

    def _move(self, motion: str) -> None:
        if self.execution_id is None:
            raise SessionError("Nothing is launched.")
        if motion != "start":
            self.stopped()
        self._pause.clear()
        self._spawn(lambda: self._drive(motion))

    def _drive(self, motion: str) -> None:
        assert self.bench is not None and self.execution_id is not None
        bench, execution_id = self.bench, self.execution_id
        on_error = self.break_on_error and not self._no_debug
        if motion == "start" and not self._started:
            self._started = True
            before = [n for n in self._all_nodes()] if self._stop_on_entry else self._pause_nodes()
            execution = bench.run_execution(execution_id, pause=PauseStrategyConfig(before=before, on_error=on_error))
        elif motion == "start":  # a fork: it stands at its first checkpoint already
            execution = bench.get_execution(execution_id)
            if not self._stop_on_entry:
                execution = bench.resume(execution_id, pause=PauseStrategyConfig(
                    before=self._pause_nodes(), on_error=on_error))
        else:  # run the step the debugger stands before, with the edits made there
            edits, answer, stop = self.edits, self.answer, self.stop
            self.edits, self.answer, self.stop = {}, NO_ANSWER, None
            try:
                execution = bench.resume(execution_id, state_updates=edits or None,
                                         resume_value=None if answer is NO_ANSWER else answer,
                                         pause=PauseStrategyConfig(every_step=True, on_error=on_error))
            except WTBError:  # refused before anything ran (an edit LangGraph rejects): keep the edits
                if bench.get_execution(execution_id).head_checkpoint_id == (stop.checkpoint.id if stop else None):
                    self.edits, self.answer = edits, answer
                raise
        while not self._settle(execution, motion):
            execution = bench.resume(execution_id, pause=PauseStrategyConfig(before=self._pause_nodes(),
                                                                             on_error=on_error))

    def _step_in(self, stop: Stop) -> None:
        assert self.bench is not None and self.execution_id is not None and self._ask is not None
        bench, execution_id = self.bench, self.execution_id
        edits, answer = self.edits, self.answer
        self.edits, self.answer, self.stop = {}, NO_ANSWER, None
        self._child = child = StepProcess(bench.workspace, bench.data_dir, execution_id, self._output)
        try:
            host, port = child.start(edits, answer, answer is not NO_ANSWER, self.break_on_error)
        except WTBError:
            self.edits, self.answer, self._child = edits, answer, None
            raise
        node = next(iter(stop.checkpoint.next), "node")
        refused: list[str] = []

        def answered(success: bool, message: str) -> None:
            if not success:  # e.g. no debugger of that type in the editor: the step never starts
                refused.append(message)
                child.stop()

        self._ask("startDebugging", {"request": "attach", "configuration": {
            "type": self._python_type, "request": "attach", "name": f"{node} (Python)",
            "connect": {"host": host, "port": port}, "justMyCode": True,
        }}, answered)
        child.wait()
        self._child = None
        if refused:
            self.edits, self.answer = edits, answer
            self._output(f"Step Into: the editor could not start a {self._python_type!r} session ({refused[0]}); "
                         "is the Python extension installed? Standing still.\n", "stderr")
        execution = bench.get_execution(execution_id)
        if execution.status is ExecutionStatus.RUNNING:  # the step's process died: no owner is left
            execution = bench.cancel(execution_id, timeout_s=0)
        self._settle(execution, "next")

    def _settle(self, execution: Execution, motion: str) -> bool:
        """Stop, end, or (False) run on after a run came back."""
        assert self.bench is not None
        status = execution.status
        if self._terminate.is_set() and not status.is_final:
            execution = self.bench.mark_finished(execution.id, ExecutionStatus.CANCELLED)
            status = execution.status
        if status is ExecutionStatus.PAUSED and execution.error is not None:
            error = execution.error
            self._stop_at(execution, "exception", f"{error.type}: {error.message}", error=error)
        elif status is ExecutionStatus.PAUSED:
            if execution.interrupts:
                asked = "; ".join(variables.short_repr(i.value) for i in execution.interrupts)
                self._stop_at(execution, "pause", f"interrupt() asks: {asked}")
            elif self._pause.is_set():
                self._stop_at(execution, "pause", "Paused")
            elif motion == "next":
                self._stop_at(execution, "step", "")
            elif motion == "start" and self._stop_on_entry:
                self._stop_at(execution, "entry", "Before the first step")
            else:
                state = self.bench.get_state(execution.id)
                hits, notes = self.breakpoints.hit(execution.next_nodes, _evaluator(state))
                if not hits:
                    return False
                for note in notes:
                    self._output(note + "\n", "stderr")
                where = ", ".join(execution.next_nodes)
                self._stop_at(execution, "breakpoint", f"Breakpoint before {where}", hits=hits)
        elif status is ExecutionStatus.CANCELLED and self._pause.is_set() and not self._terminate.is_set():
            self._stop_at(self.bench.mark_finished(execution.id, ExecutionStatus.PAUSED), "pause", "Paused")
        else:
            self._end(execution)
        return True

    def _stop_at(self, execution: Execution, reason: str, description: str,
                 error: ExecutionError | None = None, hits: list[Breakpoint] | None = None) -> None:
        assert self.bench is not None
        checkpoints = {c.id: c for c in self.bench.get_checkpoints(execution.id)}
        head = execution.head_checkpoint_id or self.bench.get_execution(execution.id).head_checkpoint_id
        checkpoint = checkpoints[head or ""]
        state = self.bench.get_state(execution.id, checkpoint.id)
        if isinstance(state, dict):
            state.pop("_output_files", None)
            state.update(copy.deepcopy(self.edits))  # edits kept after a refused resume
        self.stop = Stop(execution.id, checkpoint, state, reason, description, error,
                         list(execution.interrupts), checkpoints)
        hit_nodes = {n for bp in hits or [] for n in bp.nodes}
        node = ((error.node if error and error.node else None)
                or next((n for n in checkpoint.next if n in hit_nodes), None) or next(iter(checkpoint.next), None))
        body: dict[str, Any] = {"reason": reason, "description": description, "allThreadsStopped": True,
                                "threadId": self.thread_id(node) if node else GRAPH_THREAD}
        if error is not None:
            body["text"] = error.message
        if hits:
            body["hitBreakpointIds"] = [bp.id for bp in hits]
        self._moving = False
        # for the editor's checkpoint tree: where the debugger stands (a custom event; DAP clients ignore it)
        self._emit("wtbCheckpoint", {"executionId": execution.id, "checkpointId": checkpoint.id,
                                     "step": checkpoint.step})
        self._emit("stopped", body)

    def _roll_back(self, target: Checkpoint, reason: str, description: str,
                   hits: list[Breakpoint] | None = None) -> None:
        assert self.bench is not None and self.execution_id is not None
        if self.edits:
            self._output("The state edits made at the later checkpoint were dropped.\n")
        self.edits, self.answer, self.stop = {}, NO_ANSWER, None
        result = self.bench.rollback(self.execution_id, target.id)
        changed = len(result.files_written) + len(result.files_removed)
        self._output(f"Rolled back to step {target.step} ({target.id}): {changed} file(s) restored.\n")
        self._stop_at(self.bench.get_execution(self.execution_id), reason, description, hits=hits)

    def _end(self, execution: Execution) -> None:
        error = execution.error
        if execution.status is ExecutionStatus.FAILED and error is not None:
            self._output(f"{error.type} in node {error.node}: {error.message}\n{error.traceback}", "stderr")
        self._output(f"Execution {execution.id} {execution.status.value}.\n")
        self.stop, self.ended, self._moving = None, True, False
        self._emit("exited", {"exitCode": 1 if execution.status is ExecutionStatus.FAILED else 0})
        self._emit("terminated", {})

    def _end_stopped(self) -> None:
        """Terminate while stopped: the execution is cancelled (its checkpoints stay; it can be resumed)."""
        if self.bench is None or self.execution_id is None:
            self.ended = True
            self._emit("terminated", {})
            return
        self._end(self.bench.mark_finished(self.execution_id, ExecutionStatus.CANCELLED))

    def _could_not_move(self, exc: Exception) -> None:
        """A motion that failed before the run moved (a refused edit, an unanswered question): stand still."""
        message = str(exc) if isinstance(exc, WTBError) else f"{type(exc).__name__}: {exc}"
        self._output(f"WTB: {message}\n", "stderr")
        if self.bench is None or self.execution_id is None or self.ended:
            return
        try:
            execution = self.bench.get_execution(self.execution_id)
            if execution.status.is_final and execution.status is not ExecutionStatus.CANCELLED:
                self._end(execution)
            elif execution.head_checkpoint_id:
                self._stop_at(execution, "pause", message[:200])
        except Exception as again:
            self._output(f"WTB: {again}\n", "stderr")

    def _ask_to_stop(self) -> None:
        """Ask the run to stop before its next step (it may be between two runs: then the flag does it)."""
        while self.busy and self._pause.is_set() and self.bench is not None and self.execution_id is not None:
            try:
                self.bench.cancel(self.execution_id, timeout_s=0)
                return
            except InvalidStateError:
                time.sleep(0.05)
            except WTBError as exc:
                self._output(f"WTB: {exc}\n", "stderr")
                return

    def _check_answer(self) -> None:
        stop = self.stopped()
        if stop.interrupts and self.answer is NO_ANSWER:
            raise SessionError("The node asked a question with interrupt(): set `answer` in the Interrupt scope "
                               "(Variables pane) first.")

    def _pause_nodes(self) -> list[str]:
        return [] if self._no_debug else self.breakpoints.pause_nodes()

    def _all_nodes(self) -> list[str]:
        return sorted({n.node for n in self.breakpoints.nodes})

    def _output(self, text: str, category: str = "console") -> None:
        self._emit("output", {"category": category, "output": text})


def _evaluator(state: Any) -> Callable[[str], Any]:
    return lambda expression: variables.evaluate(expression, state)


def _ancestors(stop: Stop) -> list[Checkpoint]:
    """The checkpoints before the current one, nearest first (steps from 0 on).

    Running on from an earlier checkpoint makes LangGraph copy it first (source "fork"):
    the copy is the same moment as its parent, so stepping back passes over it.
    """
    found = []
    current = stop.checkpoints.get(stop.checkpoint.parent_id or "")
    while current is not None and current.step >= 0:
        if current.source != "fork":
            found.append(current)
        current = stop.checkpoints.get(current.parent_id or "")
    return found
