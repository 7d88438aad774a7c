"""End to end: interrupt() questions, a join and a subgraph through the daemon (issue 19's editor part).

The tree lists checkpoints with ``subgraphs`` (inner steps carry their ``namespace``), shows the
questions an execution waits on (``interrupts``) and answers them with ``wtb/resume``'s
``resumeValue``; a resume without an answer and a state edit that needs ``asNode`` are errors
of the request itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import Daemon, StartDaemon

INVALID_STATE, INVALID_PARAMS = 1005, -32602

#: The editor e2e's survey workflow (a join, a subgraph, an interrupt()) and a step asking two questions at once.
HITL = (Path(__file__).resolve().parents[1] / "e2e" / "survey.py").read_text(encoding="utf-8") + '''

def ask_color(state):
    return {"color": interrupt("Which color?")}


def ask_size(state):
    return {"size": interrupt("Which size?")}


def build_two_questions():
    graph = StateGraph(S)
    graph.add_node("ask_color", ask_color)
    graph.add_node("ask_size", ask_size)
    graph.add_edge(START, "ask_color")
    graph.add_edge(START, "ask_size")
    graph.add_edge("ask_color", END)
    graph.add_edge("ask_size", END)
    return graph


two_questions = build_two_questions()
'''

GRAPHS = {"survey": "./hitl.py:survey", "two_questions": "./hitl.py:two_questions"}


@pytest.fixture
def hitl_ws(make_workspace: Callable[..., Path]) -> Path:
    return make_workspace({"hitl.py": HITL}, GRAPHS, name="hitl_ws")


async def run_until_paused(daemon: Daemon, workflow: str) -> dict[str, Any]:
    started = await daemon.request("wtb/run", {"workflow": workflow, "initialState": {"log": []}})
    final = await daemon.wait_final(started["execution"]["id"])
    assert final["status"] == "paused", final
    return final


async def error_of(daemon: Daemon, method: str, params: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as info:
        await daemon.request(method, params)
    return info.value


async def test_a_question_is_listed_refused_without_an_answer_and_answered(
    start_daemon: StartDaemon, hitl_ws: Path
) -> None:
    daemon = await start_daemon(hitl_ws)
    paused = await run_until_paused(daemon, "survey")
    eid = paused["id"]
    assert paused["nextNodes"] == ["ask"]
    [question] = paused["interrupts"]
    assert question["value"] == "Which color?" and question["node"] == "ask" and question["namespace"] == ""
    fetched = await daemon.request("wtb/getExecution", {"executionId": eid})
    assert fetched["interrupts"] == paused["interrupts"] and fetched["nextNodes"] == ["ask"]

    # The root checkpoints only, by default; the head carries the pending question.
    root = (await daemon.request("wtb/listCheckpoints", {"executionId": eid}))["checkpoints"]
    assert {c["namespace"] for c in root} == {""}
    assert root[0]["id"] == paused["headCheckpointId"] and root[0]["interrupts"] == paused["interrupts"]
    # The join: the checkpoint after the parallel step (left, right) has next ["join"].
    parallel = next(c for c in root if sorted(c["writes"]) == ["left", "right"])
    assert parallel["next"] == ["join"]

    # With subgraphs: the writer's inner steps, namespaced "writer:<task id>", newest first.
    every = (await daemon.request("wtb/listCheckpoints", {"executionId": eid, "subgraphs": True}))["checkpoints"]
    inner = [c for c in every if c["namespace"]]
    assert inner and all(c["namespace"].startswith("writer:") for c in inner)
    assert {w for c in inner for w in c["writes"]} >= {"draft", "polish"}
    assert len(every) == len(root) + len(inner)
    parent = next(c for c in root if c["next"] == ["writer"])
    assert all(c["createdAt"] > parent["createdAt"] for c in inner)
    # Paging with subgraphs: a page of 3, then the rest; nothing lost or repeated.
    page = await daemon.request("wtb/listCheckpoints", {"executionId": eid, "subgraphs": True, "limit": 3})
    rest = await daemon.request(
        "wtb/listCheckpoints", {"executionId": eid, "subgraphs": True, "limit": 100, "before": page["nextBefore"]}
    )
    assert [c["id"] for c in page["checkpoints"] + rest["checkpoints"]] == [c["id"] for c in every]

    # Resuming without an answer is the request's error; the execution stays paused.
    refused = await error_of(daemon, "wtb/resume", {"executionId": eid})
    assert refused.code == INVALID_STATE
    assert "Which color?" in refused.message and "answer" in refused.message
    assert (await daemon.request("wtb/getExecution", {"executionId": eid}))["status"] == "paused"

    answered = await daemon.request("wtb/resume", {"executionId": eid, "resumeValue": {"hex": "#00f"}, "wait": True})
    assert answered["execution"]["status"] == "completed" and answered["execution"]["interrupts"] == []
    state = await daemon.request("wtb/getState", {"executionId": eid})
    assert state["values"]["color"] == {"hex": "#00f"}
    assert (hitl_ws / "out/color.txt").read_text() == str({"hex": "#00f"})


async def test_several_questions_are_answered_by_id(
    start_daemon: StartDaemon, hitl_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(hitl_ws, **no_tracking)
    paused = await run_until_paused(daemon, "two_questions")
    questions = {q["value"]: q for q in paused["interrupts"]}
    assert set(questions) == {"Which color?", "Which size?"}
    assert {q["node"] for q in questions.values()} == {"ask_color", "ask_size"}
    answers = {questions["Which color?"]["id"]: "red", questions["Which size?"]["id"]: "L"}
    done = await daemon.request("wtb/resume", {"executionId": paused["id"], "resumeValue": answers, "wait": True})
    assert done["execution"]["status"] == "completed"
    values = (await daemon.request("wtb/getState", {"executionId": paused["id"]}))["values"]
    assert (values["color"], values["size"]) == ("red", "L")


async def test_a_state_edit_after_a_parallel_step_needs_as_node(
    start_daemon: StartDaemon, hitl_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(hitl_ws, **no_tracking)
    paused = await run_until_paused(daemon, "survey")
    eid = paused["id"]
    root = (await daemon.request("wtb/listCheckpoints", {"executionId": eid}))["checkpoints"]
    parallel = next(c for c in root if c["next"] == ["join"])
    before = len((await daemon.request("wtb/listExecutions", {"workflow": "survey"}))["executions"])

    fork = {"executionId": eid, "checkpointId": parallel["id"], "stateUpdates": {"color": "green"}}
    needs = await error_of(daemon, "wtb/fork", fork)
    assert needs.code == INVALID_PARAMS
    assert needs.data["type"] == "AsNodeRequiredError"
    assert needs.data["candidates"] == ["left", "right"]
    assert "as_node" in needs.message or "asNode" in needs.message
    after = (await daemon.request("wtb/listExecutions", {"workflow": "survey"}))["executions"]
    assert len(after) == before  # no orphan fork

    forked = (await daemon.request("wtb/fork", {**fork, "asNode": "left"}))["execution"]
    assert forked["status"] == "paused" and forked["parentId"] == eid
    assert forked["nextNodes"] == ["join"]
    values = (await daemon.request("wtb/getState", {"executionId": forked["id"]}))["values"]
    assert values["color"] == "green"
