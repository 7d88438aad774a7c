"""The debug adapter over stdio on the sample reviser workflow (issue 21's first acceptance point).

``reviser``: write_draft → review ⇄ revise; with the checklist ["actors", "scheduling"]
``revise`` runs twice: before step 2 (the draft is only its title) and before step 4 (the
draft covers actors). Every test drives the real adapter process with a DAP client.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dap.client import DapClient, DapError
from tests.dap.conftest import REVISER_INPUT, line_of
from wtb import WTBTestBench

TITLE_ONLY = "# Ray\n"
WITH_ACTORS = "# Ray\n\nThis draft now covers actors.\n"


def launch(ws: Path, **extra: object) -> dict[str, object]:
    return {"workflow": "reviser", "workspace": str(ws), "input": REVISER_INPUT, **extra}


def checkpoint_of(client: DapClient, stopped: dict[str, object]) -> dict[str, str]:
    frame = client.stopped_frame(stopped)
    return {name: v["value"].strip("'") for name, v in client.scope(frame["id"], "Checkpoint").items()}


def test_breakpoint_state_step_back_new_branch_and_end(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    source = sample_ws / "reviser.py"
    inside_revise = line_of(source, 'word = state["missing"][0]')
    answered = client.start(launch(sample_ws), {str(source): [{"line": inside_revise}]})
    [bp] = answered[str(source)]["breakpoints"]
    assert bp["verified"] is True and bp["line"] == inside_revise

    # stopped before revise, the first time it is scheduled (after write_draft and review)
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "breakpoint" and stopped["hitBreakpointIds"] == [bp["id"]]
    threads = client.request("threads")["threads"]
    assert [t["id"] for t in threads] == [stopped["threadId"]] and threads[0]["name"].startswith("revise")
    frames = client.request("stackTrace", {"threadId": stopped["threadId"]})["stackFrames"]
    assert frames[0]["name"] == "revise"
    assert Path(frames[0]["source"]["path"]) == source.resolve()
    assert frames[0]["line"] == line_of(source, "def revise(")
    assert Path(frames[1]["source"]["path"]) == source.resolve()  # the graph's own frame
    assert frames[1]["line"] == line_of(source, "graph = StateGraph(")

    state = client.scope(frames[0]["id"], "State")
    assert state["missing"]["value"] == "['actors', 'scheduling']" and state["rounds"]["value"] == "0"
    missing = client.request("variables", {"variablesReference": state["missing"]["variablesReference"]})
    assert [v["value"] for v in missing["variables"]] == ["'actors'", "'scheduling'"]
    assert client.request("evaluate", {"expression": "len(state['missing']) + rounds", "context": "watch",
                                       "frameId": frames[0]["id"]})["result"] == "2"
    first = checkpoint_of(client, stopped)
    assert first["step"] == "2" and first["next"] == "['revise']"
    assert (sample_ws / "drafts" / "draft.md").read_text() == TITLE_ONLY

    # Continue: revise and review run, then revise is scheduled again
    client.request("continue")
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "breakpoint"
    second = checkpoint_of(client, stopped)
    assert second["step"] == "4"
    assert (sample_ws / "drafts" / "draft.md").read_text() == WITH_ACTORS

    # Step Back twice: step 3 (after revise), then step 2, with the draft as it was there
    client.request("stepBack")
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "step"
    assert checkpoint_of(client, stopped)["step"] == "3"
    client.request("stepBack")
    stopped = client.wait_event("stopped")
    back = checkpoint_of(client, stopped)
    assert back["checkpoint"] == first["checkpoint"]
    on_disk = (sample_ws / "drafts" / "draft.md").read_bytes()
    assert on_disk == TITLE_ONLY.encode()
    with WTBTestBench.create(workspace=sample_ws) as bench:  # the files are exactly that checkpoint's
        assert bench.read_file(back["execution"], back["checkpoint"], "drafts/draft.md") == on_disk
        old_step_3 = {c.id for c in bench.get_checkpoints(back["execution"]) if c.step == 3}

    # Step Over from there runs revise again: a new branch beside the old one
    client.request("next")
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "step"
    branch = checkpoint_of(client, stopped)
    assert branch["next"] == "['review']" and branch["checkpoint"] not in old_step_3
    assert (sample_ws / "drafts" / "draft.md").read_text() == WITH_ACTORS
    with WTBTestBench.create(workspace=sample_ws) as bench:
        checkpoints = {c.id: c for c in bench.get_checkpoints(branch["execution"])}
        walk, chain = checkpoints[branch["checkpoint"]], []
        while walk.parent_id:
            chain.append(walk.parent_id)
            walk = checkpoints[walk.parent_id]
        assert first["checkpoint"] in chain and not old_step_3 & set(chain)

    # Continue with no breakpoints left: the run ends
    client.request("setBreakpoints", {"source": {"path": str(source)}, "breakpoints": []})
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0
    client.wait_event("terminated")
    assert "completed" in client.output()
    assert "scheduling" in (sample_ws / "drafts" / "draft.md").read_text()


def test_conditional_breakpoint_stops_only_where_it_holds(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    source = sample_ws / "reviser.py"
    client.start(launch(sample_ws), {str(source): [{"line": line_of(source, "def revise("),
                                                    "condition": "rounds >= 1"}]})
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "breakpoint"
    where = checkpoint_of(client, stopped)
    assert where["step"] == "4"  # not step 2, where rounds == 0
    frame = client.stopped_frame(stopped)
    assert client.scope(frame["id"], "State")["rounds"]["value"] == "1"
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0


def test_hit_count_and_function_breakpoint(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    source = sample_ws / "reviser.py"
    answered = client.start(launch(sample_ws), {str(source): [
        {"line": line_of(source, "def review("), "hitCondition": "3"},
        {"line": line_of(source, "def after_review(")},  # a routing function, not a node
    ]}, functions=["write_draft", "no_such_node"])
    review, routing = answered[str(source)]["breakpoints"]
    assert review["verified"] is True
    assert routing["verified"] is False and "node" in routing["message"]
    write_draft, unknown = answered["<functions>"]["breakpoints"]
    assert write_draft["verified"] is True and unknown["verified"] is False

    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "breakpoint" and stopped["hitBreakpointIds"] == [write_draft["id"]]
    assert checkpoint_of(client, stopped)["next"] == "['write_draft']"
    client.request("continue")
    stopped = client.wait_event("stopped")  # review's third run: after the second revise
    assert stopped["hitBreakpointIds"] == [review["id"]]
    assert checkpoint_of(client, stopped)["step"] == "5"
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0


def test_reverse_continue_returns_to_the_previous_breakpoint(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    source = sample_ws / "reviser.py"
    client.start(launch(sample_ws), {str(source): [{"line": line_of(source, "def revise(")}]})
    first = checkpoint_of(client, client.wait_event("stopped"))
    client.request("continue")
    assert checkpoint_of(client, client.wait_event("stopped"))["step"] == "4"
    assert (sample_ws / "drafts" / "draft.md").read_text() == WITH_ACTORS
    client.request("reverseContinue")
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "breakpoint"
    assert checkpoint_of(client, stopped)["checkpoint"] == first["checkpoint"]
    assert (sample_ws / "drafts" / "draft.md").read_text() == TITLE_ONLY
    client.request("reverseContinue")  # no breakpoint before: the first step
    assert checkpoint_of(client, client.wait_event("stopped"))["step"] == "0"
    assert not (sample_ws / "drafts" / "draft.md").exists()
    with pytest.raises(DapError, match="first step"):
        client.request("stepBack")


def test_stop_on_entry_edit_state_and_restart_frame_forks(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    client.start(launch(sample_ws, stopOnEntry=True))
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "entry"
    frame = client.stopped_frame(stopped)
    assert frame["name"] == "write_draft"
    scopes = {s["name"]: s for s in client.request("scopes", {"frameId": frame["id"]})["scopes"]}
    client.request("setVariable", {"variablesReference": scopes["State"]["variablesReference"],
                                   "name": "topic", "value": "'Dask'"})
    assert client.scope(frame["id"], "State")["topic"]["value"] == "'Dask'"
    client.request("next")
    stopped = client.wait_event("stopped")
    assert (sample_ws / "drafts" / "draft.md").read_text() == "# Dask\n"  # write_draft saw the edit
    original = checkpoint_of(client, stopped)

    client.request("restartFrame", {"frameId": client.stopped_frame(stopped)["id"]})
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "restart"
    forked = checkpoint_of(client, stopped)
    assert forked["execution"] != original["execution"] and forked["next"] == "['review']"
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0
    with WTBTestBench.create(workspace=sample_ws) as bench:
        fork = bench.get_execution(forked["execution"])
        assert fork.parent_id == original["execution"] and fork.parent_checkpoint_id == original["checkpoint"]
        assert fork.status.value == "completed" and bench.get_state(fork.id)["topic"] == "Dask"
