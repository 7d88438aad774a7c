"""The Debug Adapter Protocol face: requests in, responses and events out.

One handler per DAP request, registered in :data:`HANDLERS`; a handler returns the
response's body or raises :class:`SessionError` (an error response with its message).
Nothing here runs workflow code or waits for a run: motions go to the session's worker
thread, whose events (``stopped``, ``output``, ``terminated``) are written from there.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from wtb.dap import variables
from wtb.dap.session import GRAPH_THREAD, NO_ANSWER, Session, SessionError, Stop
from wtb.dap.wire import FramingError, Wire
from wtb.errors import WTBError

logger = logging.getLogger(__name__)

#: The exception breakpoint filter: pause on a node's error (``PauseStrategyConfig.on_error``).
NODE_ERRORS = "nodeErrors"

CAPABILITIES: dict[str, Any] = {
    "supportsConfigurationDoneRequest": True,
    "supportsConditionalBreakpoints": True,
    "supportsHitConditionalBreakpoints": True,
    "supportsFunctionBreakpoints": True,
    "supportsStepBack": True,
    "supportsRestartFrame": True,
    "supportsSetVariable": True,
    "supportsEvaluateForHovers": True,
    "supportsExceptionInfoRequest": True,
    "supportsTerminateRequest": True,
    "exceptionBreakpointFilters": [{
        "filter": NODE_ERRORS, "label": "Node errors", "default": False,
        "description": "Pause when a node raises, at the checkpoint before it (the run can be edited and resumed).",
    }],
}

Handler = Callable[["DebugAdapter", dict[str, Any]], Any]
Answered = Callable[[bool, str], None]
HANDLERS: dict[str, Handler] = {}
#: A handler's result meaning "the response is sent later".
DEFERRED = object()


def handles(command: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[command] = handler
        return handler

    return register


class DebugAdapter:
    def __init__(self, wire: Wire) -> None:
        self._wire = wire
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()
        self.session = Session(self.event, self.ask)
        self.handles = variables.Handles()
        self._frames: dict[int, tuple[str | None, int]] = {}
        self.disconnected = False
        self._asked: dict[int, Answered] = {}
        #: False when the session ended with a node still running (the process must exit hard).
        self.clean_exit = True
        #: The request being handled (a deferred handler answers it later).
        self.current_request: dict[str, Any] = {}

    def serve(self) -> int:
        """Answer requests until the client disconnects or the input ends; the exit status."""
        while not self.disconnected:
            try:
                message = self._wire.read()
            except (FramingError, ValueError) as exc:
                logger.error("closing the debug connection: %s", exc)
                break
            if message is None:
                break
            if message.get("type") == "request":
                self.handle(message)
            elif message.get("type") == "response":
                answered = self._asked.pop(message.get("request_seq"), None)  # type: ignore[arg-type]
                if answered is not None:
                    answered(bool(message.get("success")), str(message.get("message") or ""))
        return 0

    def handle(self, request: dict[str, Any]) -> None:
        command = str(request.get("command"))
        handler = HANDLERS.get(command)
        if handler is None:
            self.respond(request, error=f"WTB's debugger does not support {command!r}.")
            return
        self.current_request = request
        try:
            body = handler(self, request.get("arguments") or {})
        except (SessionError, WTBError) as exc:
            self.respond(request, error=str(exc))
            return
        except Exception as exc:
            logger.exception("request %s failed", command)
            self.respond(request, error=f"{type(exc).__name__}: {exc}")
            return
        if body is not DEFERRED:
            self.respond(request, body)

    def respond(self, request: dict[str, Any], body: Any = None, error: str | None = None) -> None:
        message: dict[str, Any] = {"type": "response", "request_seq": request.get("seq"), "success": error is None,
                                   "command": request.get("command")}
        if error is not None:
            message["message"] = error
            message["body"] = {"error": {"id": 1, "format": error.replace("{", "{{").replace("}", "}}")}}
        elif body is not None:
            message["body"] = body
        self._send(message)

    def event(self, name: str, body: dict[str, Any]) -> None:
        if name == "stopped":  # references and frames belong to one stop
            self.handles.reset()
            self._frames.clear()
        self._send({"type": "event", "event": name, "body": body})

    def ask(self, command: str, arguments: dict[str, Any], answered: Answered | None = None) -> None:
        """A reverse request; ``answered(success, message)`` is called with the client's response."""
        with self._seq_lock:
            seq = next(self._seq)
            if answered is not None:
                self._asked[seq] = answered
            self._wire.write({"seq": seq, "type": "request", "command": command, "arguments": arguments})

    def output(self, text: str, category: str = "stdout") -> None:
        self.event("output", {"category": category, "output": text})

    def _send(self, message: dict[str, Any]) -> None:
        with self._seq_lock:
            message["seq"] = next(self._seq)
            self._wire.write(message)

    def add_frame(self, node: str | None, level: int) -> int:
        frame_id = len(self._frames) + 1
        self._frames[frame_id] = (node, level)
        return frame_id

    def frame(self, frame_id: int) -> tuple[str | None, int]:
        found = self._frames.get(frame_id)
        if found is None:
            raise SessionError(f"No frame {frame_id} (the run has moved on).")
        return found


# -- life cycle -------------------------------------------------------------------------------
@handles("initialize")
def initialize(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.child_sessions = bool(args.get("supportsStartDebuggingRequest"))
    return CAPABILITIES


@handles("launch")
def launch(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    request = adapter.current_request

    def respond(error: str | None) -> None:
        adapter.respond(request, error=error)

    adapter.session.launch(args, respond)
    return DEFERRED


@handles("configurationDone")
def configuration_done(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.configuration_done()


@handles("disconnect")
def disconnect(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.disconnected = True
    adapter.clean_exit = adapter.session.close()


@handles("terminate")
def terminate(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.terminate()


# -- breakpoints --------------------------------------------------------------------------------
@handles("setBreakpoints")
def set_breakpoints(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    path = (args.get("source") or {}).get("path")
    if not path:
        return {"breakpoints": [{"verified": False, "message": "WTB sets breakpoints in files only."}
                                for _ in args.get("breakpoints") or []]}
    made = adapter.session.breakpoints.set_source(path, args.get("breakpoints") or [])
    return {"breakpoints": [bp.to_dap() for bp in made]}


@handles("setFunctionBreakpoints")
def set_function_breakpoints(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    made = adapter.session.breakpoints.set_functions(args.get("breakpoints") or [])
    return {"breakpoints": [bp.to_dap() for bp in made]}


@handles("setExceptionBreakpoints")
def set_exception_breakpoints(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    filters = set(args.get("filters") or []) | {o.get("filterId") for o in args.get("filterOptions") or []}
    adapter.session.break_on_error = NODE_ERRORS in filters
    return {"breakpoints": [{"verified": True} for _ in args.get("filters") or []]}


# -- moving -------------------------------------------------------------------------------------
@handles("continue")
def continue_(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.continue_()
    return {"allThreadsContinued": True}


@handles("next")
def next_(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.next_()


@handles("stepIn")
def step_in(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.step_in()


@handles("stepOut")
def step_out(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.continue_()


@handles("stepBack")
def step_back(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.step_back()


@handles("reverseContinue")
def reverse_continue(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.reverse_continue()


@handles("restartFrame")
def restart_frame(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.restart_frame()


@handles("pause")
def pause(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.pause()


# -- looking ------------------------------------------------------------------------------------
@handles("threads")
def threads(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    session = adapter.session
    stop = session.stop
    graph = {"id": GRAPH_THREAD, "name": session.project or "workflow"}
    if stop is None or session.busy:
        return {"threads": [graph]}
    nodes = list(stop.checkpoint.next)
    if stop.error and stop.error.node and stop.error.node not in nodes:
        nodes.append(stop.error.node)
    if not nodes:
        return {"threads": [graph]}
    return {"threads": [{"id": session.thread_id(n), "name": f"{n} (step {stop.checkpoint.step + 1})"} for n in nodes]}


@handles("stackTrace")
def stack_trace(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    session = adapter.session
    stop = session.stopped()
    node = session.node_of(int(args.get("threadId", GRAPH_THREAD)))
    frames = []
    if node is not None:
        frame: dict[str, Any] = {"id": adapter.add_frame(node, 0), "name": node, "line": 0, "column": 0}
        source = session.source_of(node)
        if source is not None:
            frame.update(source=_source(source.file), line=source.line, column=1)
        frames.append(frame)
    name = f"{session.project} · step {stop.checkpoint.step}"
    graph: dict[str, Any] = {"id": adapter.add_frame(None, 1), "name": name, "line": 0, "column": 0}
    if session.graph_source is not None:
        graph.update(source=_source(session.graph_source[0]), line=session.graph_source[1], column=1)
    frames.append(graph)
    return {"stackFrames": frames, "totalFrames": len(frames)}


def _source(path: str) -> dict[str, Any]:
    return {"name": os.path.basename(path), "path": path}


@handles("scopes")
def scopes(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    stop = adapter.session.stopped()
    adapter.frame(int(args.get("frameId", 0)))
    h = adapter.handles
    checkpoint = stop.checkpoint
    found = [
        {"name": "State", "variablesReference": h.add(stop.state, "state", ()), "expensive": False},
        {"name": "Changed files", "variablesReference": h.add(_changed(checkpoint.output_files)), "expensive": False},
        {"name": "Checkpoint", "variablesReference": h.add({
            "execution": stop.execution_id, "checkpoint": checkpoint.id, "step": checkpoint.step,
            "next": list(checkpoint.next), "parent": checkpoint.parent_id, "source": checkpoint.source,
            "edits pending": dict(adapter.session.edits),
        }), "expensive": False},
    ]
    if stop.interrupts:
        asked = {i.id: i.value for i in stop.interrupts}
        found.append({"name": "Interrupt", "variablesReference": h.add(
            {"question": asked if len(asked) > 1 else next(iter(asked.values())), "answer": _answer(adapter)},
            None, ("<interrupt>",)), "expensive": False})
    if stop.error is not None:
        found.append({"name": "Error", "variablesReference": h.add({
            "node": stop.error.node, "type": stop.error.type, "message": stop.error.message,
            "traceback": stop.error.traceback}), "expensive": False})
    return {"scopes": found}


def _changed(output_files: dict[str, str | None]) -> dict[str, str]:
    """The files the step before this checkpoint wrote or deleted (its content hash, shortened)."""
    return {path: "deleted" if digest is None else f"written ({digest[:12]})" for path, digest in output_files.items()}


def _answer(adapter: DebugAdapter) -> Any:
    answer = adapter.session.answer
    return None if answer is NO_ANSWER else answer


@handles("variables")
def variables_(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    adapter.session.stopped()
    container = adapter.handles.get(int(args.get("variablesReference", 0)))
    if container is None:
        return {"variables": []}
    return {"variables": variables.expand(adapter.handles, container)}


@handles("setVariable")
def set_variable(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    """An edit of the state (applied with LangGraph's ``update_state`` when the run moves on),
    or the answer to a pending ``interrupt()``."""
    session = adapter.session
    stop = session.stopped()
    container = adapter.handles.get(int(args.get("variablesReference", 0)))
    name = str(args.get("name"))
    if container is None or container.path is None:
        raise SessionError("Only the state (and an interrupt's answer) can be edited.")
    value = variables.parse_value(str(args.get("value", "")), stop.state)
    if container.path == ("<interrupt>",):
        if name != "answer":
            raise SessionError("Set `answer` to answer the question.")
        session.answer = value
        container.value["answer"] = value
        return {"value": variables.short_repr(value), "type": type(value).__name__}
    if not isinstance(stop.state, dict):
        raise SessionError("This workflow's state is not a dict of keys; it cannot be edited here.")
    key: Any = name
    parent = container.value
    if isinstance(parent, (list, tuple)):
        key = int(name)
    path = (*container.path, key)
    variables.set_at(stop.state, path, value)
    session.edits[path[0]] = stop.state[path[0]]
    return {"value": variables.short_repr(value), "type": type(value).__name__, "variablesReference": 0}


@handles("evaluate")
def evaluate(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    stop = adapter.session.stopped()
    try:
        value = variables.evaluate(str(args.get("expression", "")), stop.state)
    except Exception as exc:
        raise SessionError(f"{type(exc).__name__}: {exc}") from exc
    found = variables.variable(adapter.handles, "", value, None, None)
    return {"result": found["value"], "type": found["type"], "variablesReference": found["variablesReference"]}


@handles("exceptionInfo")
def exception_info(adapter: DebugAdapter, args: dict[str, Any]) -> Any:
    stop: Stop = adapter.session.stopped()
    if stop.error is None:
        raise SessionError("The debugger is not stopped on an error.")
    return {"exceptionId": stop.error.type, "description": stop.error.message, "breakMode": "always",
            "details": {"message": stop.error.message, "typeName": stop.error.type,
                        "stackTrace": stop.error.traceback}}
