"""Unit tests of the protocol package, its documentation and the error mapping (no daemon)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import TypeVar

import pytest

from wtb import errors
from wtb.lsp import protocol as p
from wtb.lsp.errors import WorkspaceUntrustedError, to_jsonrpc

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented(kind: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    if kind == "methods":
        return set(re.findall(r"^### `(wtb/\w+)`", text, flags=re.M))
    return set(re.findall(r"^\| `(wtb\.\w+)` \|", text, flags=re.M))


def test_doc_names_exactly_the_methods_of_the_protocol() -> None:
    assert documented("methods") == set(p.REQUESTS) | set(p.NOTIFICATIONS)


def test_doc_names_exactly_the_commands_of_the_protocol() -> None:
    assert documented("commands") == set(p.COMMANDS)


def test_every_method_constant_is_registered() -> None:
    constants = {v for k, v in vars(p).items() if k.isupper() and isinstance(v, str) and v.startswith("wtb/")}
    assert constants == set(p.REQUESTS) | set(p.NOTIFICATIONS)


def test_the_package_re_exports_every_public_name_of_its_modules() -> None:
    defined: dict[str, object] = {}
    for info in pkgutil.iter_modules(p.__path__):
        module = importlib.import_module(f"{p.__name__}.{info.name}")
        for node in ast.parse(inspect.getsource(module)).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                names = [node.name]
            elif isinstance(node, ast.AnnAssign | ast.Assign):
                targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                names = [target.id for target in targets if isinstance(target, ast.Name)]
            else:
                continue
            for name in names:
                value = getattr(module, name)
                if not name.startswith("_") and not isinstance(value, TypeVar):
                    assert name not in defined, f"{name} is defined twice"
                    defined[name] = value
    assert {"LIST_WORKFLOWS", "ExecutionInfo", "ProgressToken", "REQUESTS", "to_camel", "from_wire"} <= set(defined)
    assert sorted(p.__all__) == sorted(defined)
    for name, value in defined.items():
        assert getattr(p, name) is value, name


def test_server_registers_a_handler_per_request() -> None:
    from wtb.lsp.main import create_server
    from wtb.lsp.server import WtbLanguageServer

    server = create_server()
    assert set(p.REQUESTS) <= set(server.protocol.fm.features)
    assert set(server.protocol.fm.commands) == set(p.COMMANDS)
    assert {WtbLanguageServer.CMD_RUN, WtbLanguageServer.CMD_FORK} <= set(p.COMMANDS)


def test_params_come_from_camel_case_and_ignore_unknown_fields() -> None:
    params = p.from_wire(p.ListCheckpointsParams, {"executionId": "e1", "limit": 5, "before": "c9", "future": 1})
    assert params == p.ListCheckpointsParams(execution_id="e1", limit=5, before="c9")
    run = p.from_wire(p.RunParams, {"workflow": "rag", "workDoneToken": 7, "timeoutS": 2})
    assert run.work_done_token == 7 and run.timeout_s == 2.0 and run.wait is False


@pytest.mark.parametrize(
    ("cls", "raw", "expected"),
    [
        (p.GetStateParams, {}, "required field missing @ params.executionId"),
        (p.GetStateParams, {"executionId": 3}, "expected a string, got a number @ params.executionId"),
        (p.ListCheckpointsParams, {"executionId": "e", "limit": "10"}, "expected an integer"),
        (p.ReadFileParams, {"executionId": "e", "path": "a", "encoding": "utf-16"}, "params.encoding"),
        (p.DiffParams, {"a": {"executionId": "e"}, "b": {}}, "params.b.executionId"),
        (p.RunParams, {"workflow": "w", "wait": "yes"}, "expected a boolean"),
        (p.RunParams, {"workflow": "w", "config": [1]}, "params.config"),  # initialState takes any JSON value
        (p.GetStateParams, [1, 2], "params must be an object"),
    ],
)
def test_bad_params_name_the_field(cls: type, raw: object, expected: str) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        p.from_wire(cls, raw, method="wtb/x")
    assert expected in str(info.value)
    assert str(info.value).startswith("wtb/x: ")


def test_results_are_camel_case_with_every_field() -> None:
    info = p.ExecutionInfo(id="e", workflow="w", status="running", thread_id="t", created_at=1.0)
    wire = p.to_wire(p.ExecutionStarted(execution=info))
    assert wire["progressToken"] is None
    assert wire["execution"]["threadId"] == "t"
    assert wire["execution"]["headCheckpointId"] is None
    assert "thread_id" not in wire["execution"]


def test_initialization_options() -> None:
    options = p.from_wire(
        p.InitializationOptions,
        {"dataDir": "d", "trusted": False, "fileTracking": {"maxFileSize": "1MB", "ignore": ["*.log"]}},
    )
    assert options.trusted is False
    assert options.file_tracking is not None and options.file_tracking.max_file_size == "1MB"
    assert p.from_wire(p.InitializationOptions, None) == p.InitializationOptions()


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.UnknownExecutionError("no execution x"), p.NOT_FOUND),
        (errors.UnknownCheckpointError("no checkpoint"), p.NOT_FOUND),
        (errors.UnknownProjectError("no workflow"), p.NOT_FOUND),
        (errors.BusyError("busy"), p.BUSY),
        (errors.NotAvailableError("later"), p.NOT_AVAILABLE),
        (errors.InvalidStateError("not paused"), p.INVALID_STATE),
        (errors.WorkflowLoadError("bad file"), p.WORKFLOW_LOAD),
        (errors.IntegrityError("bad blob"), p.INTEGRITY),
        (errors.InvalidArgumentError("bad"), p.INVALID_PARAMS),
        (errors.UnsafePathError("../x"), p.INVALID_PARAMS),
        (errors.NonSerializableStateError("obj"), p.INVALID_PARAMS),
        (WorkspaceUntrustedError("untrusted"), p.WORKSPACE_UNTRUSTED),
        (errors.WTBError("other"), p.REQUEST_FAILED),
        (RuntimeError("bug"), -32603),
    ],
)
def test_domain_errors_map_to_one_code_each(exc: Exception, code: int) -> None:
    mapped = to_jsonrpc(exc)
    assert mapped.code == code
    assert str(exc) in mapped.message


def test_not_found_errors_say_what_was_not_found() -> None:
    assert to_jsonrpc(errors.UnknownCheckpointError("x")).data == {
        "type": "UnknownCheckpointError",
        "kind": "checkpoint",
    }
