"""End to end: runs that raise, die, hang or get cancelled; bad requests. The daemon survives all."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import Daemon, StartDaemon

NOT_FOUND, UNTRUSTED, BUSY, INVALID_STATE = 1001, 1002, 1003, 1005
INVALID_PARAMS, METHOD_NOT_FOUND, CANCELLED = -32602, -32601, -32800


async def alive(daemon: Daemon) -> None:
    """The daemon still answers."""
    listed = await daemon.request("wtb/listWorkflows", {})
    assert listed["workflows"]


async def start_run(daemon: Daemon, workflow: str, **extra: Any) -> str:
    started = await daemon.request("wtb/run", {"workflow": workflow, **extra})
    execution_id: str = started["execution"]["id"]
    return execution_id


async def error_of(daemon: Daemon, method: str, params: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as info:
        await daemon.request(method, params)
    return info.value


async def test_a_node_that_raises_one_that_exits_one_that_segfaults_and_one_that_hangs(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    ids = {
        "raises": await start_run(daemon, "raises"),
        "exits": await start_run(daemon, "exits"),
        "segfaults": await start_run(daemon, "segfaults"),
        "hangs": await start_run(daemon, "hangs", timeoutS=3),
        "prints": await start_run(daemon, "prints"),
    }
    finals = {name: await daemon.wait_final(eid) for name, eid in ids.items()}
    await alive(daemon)

    raised = finals["raises"]
    assert raised["status"] == "failed"
    assert raised["error"]["type"] == "ValueError" and raised["error"]["node"] == "boom"
    assert "boom in node" in raised["error"]["message"]
    assert "Traceback" in raised["error"]["traceback"]

    exited = finals["exits"]
    assert exited["status"] == "failed"
    assert exited["error"]["type"] == "WorkerDied"
    assert "exited with code 1" in exited["error"]["message"] and "'die'" in exited["error"]["message"]

    crashed = finals["segfaults"]
    assert crashed["status"] == "failed" and crashed["error"]["type"] == "WorkerDied"
    assert "SIGSEGV" in crashed["error"]["message"]

    assert finals["prints"]["status"] == "completed"  # its print went to the log, not into the protocol
    await daemon.wait_until(lambda: "hello from a node on stdout" in daemon.log_text, "the print in the log")

    hung = finals["hangs"]
    assert hung["status"] == "failed" and hung["error"]["type"] == "Timeout"
    assert "timed out after 3 s" in hung["error"]["message"]

    # Checkpoints written before the failure are kept. Without file tracking LangGraph stores
    # them in the background (durability "async") while the next node runs, so a worker killed
    # in the next node may have committed none yet, and the hang may be stopped before its
    # first checkpoint; a node that raises ends the run only after every earlier one is stored.
    for name, eid in ids.items():
        page = await daemon.request("wtb/listCheckpoints", {"executionId": eid})
        assert len(page["checkpoints"]) >= {"raises": 3, "prints": 4}.get(name, 0)
        stored = await daemon.request("wtb/getExecution", {"executionId": eid})
        assert stored["status"] == ("completed" if name == "prints" else "failed")


async def test_cancel_a_long_run_three_ways_keeps_its_checkpoints(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    started = await daemon.request("wtb/run", {"workflow": "ticker"})
    eid, token = started["execution"]["id"], started["progressToken"]
    await daemon.wait_until(lambda: len(daemon.of("wtb/checkpointAdded", eid)) >= 5, "a few ticks")

    # Every list and get request answers while the run is going.
    page = await daemon.request("wtb/listCheckpoints", {"executionId": eid, "limit": 3})
    assert len(page["checkpoints"]) == 3
    assert (await daemon.request("wtb/getExecution", {"executionId": eid}))["status"] == "running"
    assert (await daemon.request("wtb/getState", {"executionId": eid}))["values"]["n"] >= 1
    busy = await error_of(daemon, "wtb/rollback", {"executionId": eid, "checkpointId": page["checkpoints"][-1]["id"]})
    assert busy.code == BUSY and "running" in busy.message

    cancelled = await daemon.request("wtb/cancel", {"executionId": eid})
    assert cancelled["wasRunning"] is True
    assert cancelled["execution"]["status"] == "cancelled"
    final = await daemon.wait_final(eid)
    assert final["status"] == "cancelled"
    await daemon.wait_until(lambda: any(v.kind == "end" for v in daemon.progress(token)), "progress end")
    assert daemon.progress(token)[-1].message == "cancelled"
    kept = await daemon.request("wtb/listCheckpoints", {"executionId": eid, "limit": 1000})
    assert len(kept["checkpoints"]) >= 5
    again = await daemon.request("wtb/cancel", {"executionId": eid})
    assert again["wasRunning"] is False and again["execution"]["status"] == "cancelled"

    # $/cancelRequest on a run request that waits for the end cancels the run.
    daemon.notifications.clear()
    future = daemon.client.protocol.send_request("wtb/run", {"workflow": "ticker", "wait": True})
    await daemon.wait_until(lambda: len(daemon.of("wtb/checkpointAdded")) >= 3, "a few ticks")
    eid = daemon.of("wtb/checkpointAdded")[0]["executionId"]
    request_id = next(iter(daemon.client.protocol._request_futures))  # the only request in flight
    daemon.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(future), 60)
    assert info.value.code == CANCELLED
    final = await daemon.wait_final(eid)
    assert final["status"] == "cancelled"

    # The editor's "Cancel" button on the progress notification cancels the run too.
    started = await daemon.request("wtb/run", {"workflow": "ticker"})
    eid, token = started["execution"]["id"], started["progressToken"]
    await daemon.wait_until(lambda: daemon.of("wtb/checkpointAdded", eid), "a tick")
    daemon.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert (await daemon.wait_final(eid))["status"] == "cancelled"
    await alive(daemon)


async def test_bad_params_and_unknown_ids_are_json_rpc_errors_with_messages(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    missing = await error_of(daemon, "wtb/getState", {})
    assert missing.code == INVALID_PARAMS and "executionId" in missing.message
    typed = await error_of(daemon, "wtb/listCheckpoints", {"executionId": "x", "limit": "ten"})
    assert typed.code == INVALID_PARAMS and "limit" in typed.message
    page = await error_of(daemon, "wtb/listCheckpoints", {"executionId": "x", "limit": 0})
    assert page.code == INVALID_PARAMS and "between 1 and 1000" in page.message

    unknown = await error_of(daemon, "wtb/getExecution", {"executionId": "nope"})
    assert unknown.code == NOT_FOUND and "nope" in unknown.message
    assert unknown.data == {"type": "UnknownExecutionError", "kind": "execution"}
    workflow = await error_of(daemon, "wtb/run", {"workflow": "nope"})
    assert workflow.code == NOT_FOUND and "raises" in workflow.message  # it lists the known ones
    assert (await error_of(daemon, "wtb/listExecutions", {"workflow": "nope"})).code == NOT_FOUND
    assert (await error_of(daemon, "wtb/cancel", {"executionId": "nope"})).code == NOT_FOUND

    eid = await start_run(daemon, "raises")
    await daemon.wait_final(eid)
    checkpoint = await error_of(daemon, "wtb/getState", {"executionId": eid, "checkpointId": "nope"})
    assert checkpoint.code == NOT_FOUND and checkpoint.data["kind"] == "checkpoint"
    timeout = await error_of(daemon, "wtb/resume", {"executionId": eid, "timeoutS": -1})
    assert timeout.code == INVALID_PARAMS and "timeoutS" in timeout.message

    batch = await error_of(daemon, "wtb/batch", {"workflow": "raises", "variants": []})
    assert batch.code == INVALID_PARAMS and "at least one variant" in batch.message
    with pytest.raises(JsonRpcException) as info:
        await daemon.command("wtb.run")
    assert info.value.code == INVALID_PARAMS and "workflow name" in info.value.message
    with pytest.raises(JsonRpcException) as info:
        await daemon.command("wtb.fork", "exits")
    fork_nothing = info.value
    assert fork_nothing.code == INVALID_STATE and "run it first" in fork_nothing.message
    assert (await error_of(daemon, "wtb/noSuchMethod", {})).code == METHOD_NOT_FOUND
    await alive(daemon)

    # A module-level StateGraph that no langgraph.json names still gets lenses, and runs by reference.
    path = flows_ws / "undeclared.py"
    found = await daemon.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    assert found is not None and len(found) == 5
    resolved = await daemon.client.code_lens_resolve_async(found[0])
    assert resolved.command is not None
    assert list(resolved.command.arguments or []) == ["undeclared.py:builder"]
    started = await daemon.command("wtb.run", "undeclared.py:builder")
    final = await daemon.wait_final(started["execution"]["id"])
    assert final["status"] == "completed", final["error"]
    state = await daemon.request("wtb/getState", {"executionId": final["id"]})
    assert state["values"]["x"] == 1


async def test_an_entrypoint_runs_with_a_plain_value_and_a_state_graph_refuses_one(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    shouted = await daemon.request("wtb/run", {"workflow": "shout", "initialState": "hello", "wait": True})
    assert shouted["execution"]["status"] == "completed", shouted["execution"]["error"]
    state = await daemon.request("wtb/getState", {"executionId": shouted["execution"]["id"]})
    assert state["values"] == {"value": "HELLO!"}  # wtb/getState's form of a value that is not an object

    # The daemon never imports workflow code, so the worker finds out, before the graph runs.
    refused = await daemon.request("wtb/run", {"workflow": "raises", "initialState": "hello", "wait": True})
    failed = refused["execution"]
    assert failed["status"] == "failed" and failed["error"]["type"] == "InvalidArgumentError"
    assert "is a StateGraph" in failed["error"]["message"] and "not a str" in failed["error"]["message"]
    page = await daemon.request("wtb/listCheckpoints", {"executionId": failed["id"]})
    assert page["checkpoints"] == []  # refused before LangGraph stored anything
    await alive(daemon)


async def test_an_untrusted_workspace_refuses_to_run_code_or_write_files(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, trusted=False, **no_tracking)
    for method, params in [
        ("wtb/run", {"workflow": "raises"}),
        ("wtb/resume", {"executionId": "x"}),
        ("wtb/fork", {"executionId": "x"}),
        ("wtb/batch", {"workflow": "raises", "variants": []}),
        ("wtb/rollback", {"executionId": "x", "checkpointId": "y"}),
        ("wtb/undoRollback", {"executionId": "x"}),
        ("wtb/getGraph", {"workflow": "raises"}),
    ]:
        error = await error_of(daemon, method, params)
        assert error.code == UNTRUSTED, method
        assert "not trusted" in error.message
    with pytest.raises(JsonRpcException) as info:
        await daemon.command("wtb.run", "raises")
    assert info.value.code == UNTRUSTED
    # Reading is fine.
    assert (await daemon.request("wtb/listExecutions", {}))["executions"] == []
    await alive(daemon)


async def test_an_untrusted_daemon_leaves_a_half_done_rollback_and_says_so(
    start_daemon: StartDaemon, make_workspace: Any
) -> None:
    """A trusted one (the editor restarts the daemon when trust is granted) finishes it."""
    import signal
    import subprocess
    import sys

    from tests.engine.conftest import FILES_WORKFLOW, workspace_tree
    from tests.engine.test_crash import ROLLBACK_SCRIPT
    from wtb import WTBTestBench

    files = {"files_flow.py": FILES_WORKFLOW, "notes.md": "user notes\n"}
    ws = make_workspace(files, {"files": "./files_flow.py:graph"})
    with WTBTestBench.create(workspace=ws) as bench:
        execution = bench.run("files", {"tag": "d"})
        target = next(c for c in bench.get_checkpoints(execution.id) if c.step == 1)
        target_tree = bench.get_state(execution.id, target.id)["tree"]
    child = subprocess.run(
        [sys.executable, "-c", ROLLBACK_SCRIPT, str(ws), execution.id, target.id, "after_files:1"],
        capture_output=True, text=True, timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    crashed = workspace_tree(ws)

    untrusted = await start_daemon(ws, trusted=False)
    assert [e["id"] for e in (await untrusted.request("wtb/listExecutions", {}))["executions"]] == [execution.id]
    for _ in range(100):
        if untrusted.client.messages:
            break
        await asyncio.sleep(0.05)
    assert any("interrupted" in str(m) and execution.id in str(m) for m in untrusted.client.messages)
    assert workspace_tree(ws) == crashed  # the untrusted daemon wrote nothing
    await untrusted.client.shutdown_session()

    trusted = await start_daemon(ws)
    await trusted.request("wtb/listExecutions", {})
    assert workspace_tree(ws) == target_tree


async def test_a_data_directory_deleted_under_the_daemon_is_opened_afresh_and_said_so(
    start_daemon: StartDaemon, flows_ws: Path
) -> None:
    """``rm -rf .wtb`` (or ``git clean -x``) while the editor is open: the daemon must not go on
    with databases nothing else sees, while the next run's worker records into a new folder."""
    import shutil

    daemon = await start_daemon(flows_ws)
    first = await start_run(daemon, "prints")
    assert (await daemon.wait_final(first))["status"] == "completed"
    shutil.rmtree(flows_ws / ".wtb")

    assert (await daemon.request("wtb/listExecutions", {}))["executions"] == []
    await daemon.wait_until(
        lambda: any("was removed" in str(m) for m in daemon.client.messages), "a warning that says so"
    )
    second = await start_run(daemon, "prints")
    assert (await daemon.wait_final(second))["status"] == "completed"
    listed = await daemon.request("wtb/listExecutions", {})
    assert [e["id"] for e in listed["executions"]] == [second]
    page = await daemon.request("wtb/listCheckpoints", {"executionId": second})
    assert page["checkpoints"]
