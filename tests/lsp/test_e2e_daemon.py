"""End to end: the real daemon on a copy of ``sample_workspace/``, driven over stdio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.conftest import RAG_INPUT
from tests.lsp.conftest import Daemon, StartDaemon


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines()) if line.startswith(text))


async def lenses(daemon: Daemon, path: Path) -> list[types.CodeLens]:
    found = await daemon.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    return [await daemon.client.code_lens_resolve_async(lens) for lens in found or []]


async def run_rag(daemon: Daemon, **extra: Any) -> dict[str, Any]:
    started = await daemon.request("wtb/run", {"workflow": "rag", "initialState": RAG_INPUT, **extra})
    final = await daemon.wait_final(started["execution"]["id"])
    return {"started": started, "final": final}


async def wait_progress_end(daemon: Daemon, token: Any) -> list[Any]:
    await daemon.wait_until(lambda: any(v.kind == "end" for v in daemon.progress(token)), "progress end")
    return daemon.progress(token)


async def test_initialize_list_workflows_and_codelens_that_follow_edits(
    start_daemon: StartDaemon, sample_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(sample_ws, warmWorker=False, **no_tracking)
    assert daemon.init_result is not None
    caps = daemon.init_result.capabilities
    assert caps.code_lens_provider is not None and caps.code_lens_provider.resolve_provider
    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) == {"wtb.run", "wtb.fork", "wtb.batch", "wtb.history"}
    assert daemon.init_result.server_info is not None and daemon.init_result.server_info.name == "wtb"
    result = await daemon.request("wtb/listWorkflows", {})
    by_name = {w["name"]: w for w in result["workflows"]}
    assert set(by_name) == {"rag", "reviser"}
    rag = by_name["rag"]
    assert rag["ref"] == "./rag.py:graph"
    assert rag["path"] == "rag.py"
    assert rag["uri"] == (sample_ws / "rag.py").as_uri()
    assert rag["line"] == line_of(sample_ws / "rag.py", "graph = build()")
    assert rag["runCount"] == 0

    # CodeLens on the sample's workflow file: the line of `graph = build()`, four titles.
    rag = sample_ws / "rag.py"
    expected_line = line_of(rag, "graph = build()")
    found = await lenses(daemon, rag)
    assert [lens.range.start.line for lens in found] == [expected_line] * 5
    assert [lens.command.title for lens in found if lens.command] == [
        "▶ Run",
        "Debug",
        "Fork…",
        "Batch…",
        "History (0 runs)",
    ]
    assert [lens.command.command for lens in found if lens.command] == [
        "wtb.run",
        "wtb.debug",
        "wtb.fork",
        "wtb.batch",
        "wtb.history",
    ]
    assert [list(lens.command.arguments or []) for lens in found if lens.command] == [["rag"]] * 5
    assert await lenses(daemon, sample_ws / "README.md") == []

    # The editor's buffer, not the file on disk: two lines inserted on top move the lenses.
    text = rag.read_text()
    uri = rag.as_uri()
    daemon.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    daemon.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="# one\n# two\n" + text)],
        )
    )
    moved = await lenses(daemon, rag)
    assert {lens.range.start.line for lens in moved} == {expected_line + 2}

    # A new workflow in langgraph.json: the client's file watcher tells the daemon, which
    # announces the new list and asks the editor to refresh its lenses.
    assert daemon.registrations  # it asked the editor to watch langgraph.json / pyproject.toml
    config = json.loads((sample_ws / "langgraph.json").read_text())
    config["graphs"]["rag2"] = "./rag.py:build"
    (sample_ws / "langgraph.json").write_text(json.dumps(config))
    daemon.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(sample_ws / "langgraph.json").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    changed = await daemon.wait_until(lambda: daemon.of("wtb/workflowsChanged"), "wtb/workflowsChanged")
    assert {w["name"] for w in changed[-1]["workflows"]} == {"rag", "rag2", "reviser"}
    await daemon.wait_until(lambda: daemon.lens_refreshes, "workspace/codeLens/refresh")
    both = await lenses(daemon, rag)
    assert {next(iter(lens.command.arguments or [])) for lens in both if lens.command} == {"rag", "rag2"}


async def test_run_reports_progress_checkpoints_state_and_graph(
    start_daemon: StartDaemon, sample_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(sample_ws, **no_tracking)
    daemon.client.progress_reports.setdefault("my-token", [])  # the editor created this token
    got = await run_rag(daemon, workDoneToken="my-token")
    started, final = got["started"], got["final"]
    execution_id = started["execution"]["id"]
    assert started["progressToken"] == "my-token"
    assert started["execution"]["status"] in ("pending", "running")
    assert final["status"] == "completed", final["error"]

    progress = await wait_progress_end(daemon, "my-token")
    assert progress[0].kind == "begin" and progress[0].title == "rag"
    reports = [v.message for v in progress if v.kind == "report"]
    assert "running rag_embed_docs" in reports and "running rag_generate" in reports
    assert sum(m.startswith("step ") for m in reports) == 5  # one per checkpoint
    assert progress[-1].kind == "end" and progress[-1].message == "completed"

    added = daemon.of("wtb/checkpointAdded", execution_id)
    assert len(added) == 5  # input, start, 3 nodes
    assert [a["checkpoint"]["step"] for a in added] == [-1, 0, 1, 2, 3]
    assert final["headCheckpointId"] == added[-1]["checkpoint"]["id"]
    statuses = [n["execution"]["status"] for n in daemon.of("wtb/executionChanged", execution_id)]
    assert statuses[0] == "pending" and "running" in statuses and statuses[-1] == "completed"

    # Paged listing, newest first.
    first = await daemon.request("wtb/listCheckpoints", {"executionId": execution_id, "limit": 2})
    assert [c["step"] for c in first["checkpoints"]] == [3, 2]
    second = await daemon.request(
        "wtb/listCheckpoints", {"executionId": execution_id, "limit": 2, "before": first["nextBefore"]}
    )
    assert [c["step"] for c in second["checkpoints"]] == [1, 0]
    last = await daemon.request(
        "wtb/listCheckpoints", {"executionId": execution_id, "limit": 2, "before": second["nextBefore"]}
    )
    assert [c["step"] for c in last["checkpoints"]] == [-1] and last["nextBefore"] is None

    state = await daemon.request("wtb/getState", {"executionId": execution_id})
    assert state["checkpointId"] == final["headCheckpointId"]
    assert state["values"]["retrieved"][0] == "revenue.txt"
    assert "revenue" in state["values"]["answer"]
    step1 = next(a["checkpoint"]["id"] for a in added if a["checkpoint"]["step"] == 1)
    early = await daemon.request("wtb/getState", {"executionId": execution_id, "checkpointId": step1})
    assert early["values"]["doc_count"] == 4 and "answer" not in early["values"]

    got_exec = await daemon.request("wtb/getExecution", {"executionId": execution_id})
    assert got_exec["status"] == "completed" and got_exec["workflow"] == "rag"
    listed = await daemon.request("wtb/listExecutions", {"workflow": "rag"})
    assert [e["id"] for e in listed["executions"]] == [execution_id]
    tree = await daemon.request("wtb/getExecutionTree", {})
    assert [r["execution"]["id"] for r in tree["roots"]] == [execution_id]

    history = await daemon.command("wtb.history", "rag")
    assert [e["id"] for e in history["executions"]] == [execution_id]
    titles = [lens.command.title for lens in await lenses(daemon, sample_ws / "rag.py") if lens.command]
    assert titles[-1] == "History (1 run)"

    # The same through workspace/executeCommand (what a CodeLens click sends), with a
    # progress token the server creates (window/workDoneProgress/create).
    started = await daemon.command("wtb.run", "rag", {"initialState": RAG_INPUT})
    token = started["progressToken"]
    assert token is not None  # created with window/workDoneProgress/create
    final = await daemon.wait_final(started["execution"]["id"])
    assert final["status"] == "completed"
    progress = await wait_progress_end(daemon, token)
    assert next(v.kind for v in progress) == "begin"
    assert sum(v.kind == "report" for v in progress) >= 3
    assert daemon.of("wtb/checkpointAdded", final["id"])

    # The graph: nodes with their source lines, edges (described in a one-shot worker).
    graph = await daemon.request("wtb/getGraph", {"workflow": "rag"})
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert {"rag_embed_docs", "rag_retrieve", "rag_generate"} <= set(nodes)
    embed = nodes["rag_embed_docs"]
    assert embed["path"] == "rag.py"
    assert embed["line"] == line_of(sample_ws / "rag.py", "def rag_embed_docs")
    assert {"source": "rag_embed_docs", "target": "rag_retrieve", "conditional": False} in graph["edges"]
    # LangGraph's schemas, keys as the state spells them (no camelCase on the wire)
    assert graph["inputSchema"]["properties"]["top_k"] == {"type": "integer"}
    assert set(graph["stateSchema"]["properties"]) == {"query", "top_k", "doc_count", "retrieved", "answer"}


async def test_fork_and_resume_then_rollback(
    start_daemon: StartDaemon, sample_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(sample_ws, **no_tracking)
    waited = await daemon.request("wtb/run", {"workflow": "rag", "initialState": RAG_INPUT, "wait": True})
    final = waited["execution"]  # wait: true answers when the run has ended
    assert final["status"] == "completed" and final["headCheckpointId"] is not None
    checkpoints = (await daemon.request("wtb/listCheckpoints", {"executionId": final["id"]}))["checkpoints"]
    assert [c["step"] for c in checkpoints] == [3, 2, 1, 0, -1], (final, checkpoints)
    after_retrieve = next(c for c in checkpoints if c["step"] == 2)

    # Fork, then resume with a state edit: the fork finishes with the edited state.
    forked = await daemon.request(
        "wtb/fork", {"executionId": final["id"], "checkpointId": after_retrieve["id"], "name": "only ray"}
    )
    fork = forked["execution"]
    assert fork["status"] == "paused" and fork["parentId"] == final["id"]
    assert fork["parentCheckpointId"] == after_retrieve["id"] and fork["name"] == "only ray"
    assert fork["nextNodes"] == ["rag_generate"]
    assert forked["progressToken"] is None
    assert daemon.of("wtb/executionChanged", fork["id"])
    resumed = await daemon.request(
        "wtb/resume", {"executionId": fork["id"], "stateUpdates": {"retrieved": ["ray.txt"]}, "wait": True}
    )
    assert resumed["execution"]["status"] == "completed", resumed["execution"]["error"]
    state = await daemon.request("wtb/getState", {"executionId": fork["id"]})
    assert state["values"]["retrieved"] == ["ray.txt"]
    # A fork that carries state edits (applied in a worker: it compiles the graph) and runs at once.
    edited = await daemon.request(
        "wtb/fork",
        {
            "executionId": final["id"],
            "checkpointId": after_retrieve["id"],
            "stateUpdates": {"retrieved": ["sqlite.txt"]},
            "run": True,
        },
    )
    assert edited["progressToken"] is not None
    done = await daemon.wait_final(edited["execution"]["id"], ("completed", "failed", "cancelled"))
    assert done["status"] == "completed", done["error"]
    state = await daemon.request("wtb/getState", {"executionId": done["id"]})
    assert state["values"]["retrieved"] == ["sqlite.txt"]

    original = await daemon.request("wtb/getState", {"executionId": final["id"]})
    assert original["values"]["retrieved"][0] == "revenue.txt"

    tree = await daemon.request("wtb/getExecutionTree", {"workflow": "rag"})
    children = [c["execution"]["id"] for c in tree["roots"][0]["children"]]
    assert children == [fork["id"], done["id"]]

    # wtb.fork without an execution forks the newest one (the last fork, here).
    by_command = await daemon.command("wtb.fork", "rag")
    assert by_command["execution"]["parentId"] == done["id"]

    # Rollback moves the head back; undo brings it forward again.
    daemon.notifications.clear()
    rolled = await daemon.request("wtb/rollback", {"executionId": final["id"], "checkpointId": after_retrieve["id"]})
    assert rolled["checkpointId"] == after_retrieve["id"]
    assert rolled["previousCheckpointId"] == final["headCheckpointId"]
    changed = daemon.of("wtb/executionChanged", final["id"])
    assert changed and changed[-1]["execution"]["headCheckpointId"] == after_retrieve["id"]
    assert changed[-1]["execution"]["rollbackUndoable"]  # every editor may offer the undo
    undone = await daemon.request("wtb/undoRollback", {"executionId": final["id"]})
    assert undone["checkpointId"] == final["headCheckpointId"]
    again = await daemon.request("wtb/getExecution", {"executionId": final["id"]})
    assert not again["rollbackUndoable"]


async def test_files_at_a_checkpoint_and_rollback_of_files(
    start_daemon: StartDaemon, sample_ws: Path, requires_filetrack: None
) -> None:
    daemon = await start_daemon(sample_ws)
    final = (await run_rag(daemon))["final"]
    assert final["status"] == "completed", final["error"]
    checkpoints = (await daemon.request("wtb/listCheckpoints", {"executionId": final["id"]}))["checkpoints"]
    head, after_embed = checkpoints[0], next(c for c in checkpoints if c["step"] == 1)
    assert "out/answer.md" in head["outputFiles"]

    files = await daemon.request("wtb/listFiles", {"executionId": final["id"]})
    paths = {f["path"] for f in files["files"]}
    assert {"rag.py", "out/answer.md", "index/vectors.json"} <= paths

    answer = await daemon.request("wtb/readFile", {"executionId": final["id"], "path": "out/answer.md"})
    assert answer["encoding"] == "text"
    assert answer["content"] == (sample_ws / "out" / "answer.md").read_text()
    as_b64 = await daemon.request(
        "wtb/readFile", {"executionId": final["id"], "path": "out/answer.md", "encoding": "base64"}
    )
    assert as_b64["encoding"] == "base64" and as_b64["size"] == answer["size"]

    plan = await daemon.request("wtb/planRollback", {"executionId": final["id"], "checkpointId": after_embed["id"]})
    assert "out/answer.md" in plan["deletes"]
    await daemon.request("wtb/rollback", {"executionId": final["id"], "checkpointId": after_embed["id"]})
    assert not (sample_ws / "out" / "answer.md").exists()
    await daemon.request("wtb/undoRollback", {"executionId": final["id"]})
    assert (sample_ws / "out" / "answer.md").read_text() == answer["content"]

    diff = await daemon.request(
        "wtb/diff",
        {
            "a": {"executionId": final["id"], "checkpointId": after_embed["id"]},
            "b": {"executionId": final["id"]},
        },
    )
    assert "answer" in diff["state"]["added"]
    assert "out/answer.md" in diff["files"]["added"]
    stats = await daemon.request("wtb/storageStats", {})
    assert stats["blobs"] > 0
    doctor = await daemon.request("wtb/doctor", {})
    assert doctor["watcher"]["mode"] == "inotify" and doctor["watcher"]["roundTripMs"] >= 0
    assert doctor["libraries"]["watchdog"] and doctor["problems"] == []


async def test_a_workflow_named_by_its_module_is_listed_with_its_file_lensed_and_run(
    start_daemon: StartDaemon, make_workspace: Any, no_tracking: dict[str, Any]
) -> None:
    """``"agent.graph:graph"`` (a module, the package under ``src/``): the daemon finds its file
    without importing it, the file's CodeLens knows the workflow, and a run imports it."""
    graph = (Path(__file__).parent.parent.parent / "sample_workspace" / "rag.py").read_text()
    ws = make_workspace({"src/agent/__init__.py": "", "src/agent/graph.py": graph}, {"agent": "agent.graph:graph"})
    daemon = await start_daemon(ws, warmWorker=False, **no_tracking)
    (listed,) = (await daemon.request("wtb/listWorkflows", {}))["workflows"]
    file = ws / "src" / "agent" / "graph.py"
    assert (listed["name"], listed["path"], listed["uri"]) == ("agent", "src/agent/graph.py", file.as_uri())
    assert listed["line"] == line_of(file, "graph = build()")
    found = await lenses(daemon, file)
    assert [list(lens.command.arguments or []) for lens in found if lens.command and lens.command.title == "▶ Run"] == [
        ["agent"]
    ]
    started = await daemon.request("wtb/run", {"workflow": "agent", "initialState": RAG_INPUT})
    final = await daemon.wait_final(started["execution"]["id"])
    assert final["status"] == "completed", final.get("error")
