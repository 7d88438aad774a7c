"""Fork: an independent execution from a checkpoint, O(1), own files; diffs (issue 4)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RAG_INPUT
from tests.engine.conftest import workspace_tree
from wtb import ExecutionConfig, WorkflowProject
from wtb.models import ExecutionStatus


def test_fork_and_resume_with_changed_state_is_independent(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    parent = bench.run("rag", RAG_INPUT)
    parent_checkpoints = bench.get_checkpoints(parent.id)
    parent_answer = (sample_ws / "out" / "answer.md").read_bytes()
    after_embed = next(c for c in parent_checkpoints if c.step == 1)
    fork = bench.fork(parent.id, after_embed.id, state_updates={"query": "What is Ray?"}, name="ray")
    assert fork.status is ExecutionStatus.PAUSED
    assert fork.parent_id == parent.id and fork.parent_checkpoint_id == after_embed.id
    assert fork.thread_id == f"wtb-{fork.id}" and fork.name == "ray"
    assert fork.next_nodes == ["rag_retrieve"]
    done = bench.resume(fork.id)
    assert done.status is ExecutionStatus.COMPLETED
    assert "Ray" in bench.get_state(fork.id)["answer"]
    assert bench.get_state(parent.id)["answer"].startswith("Quarterly revenue")
    assert [c.id for c in bench.get_checkpoints(parent.id)] == [c.id for c in parent_checkpoints]
    assert bench.read_file(parent.id, None, "out/answer.md") == parent_answer
    assert b"Ray" in bench.read_file(fork.id, None, "out/answer.md")
    fork_files = bench.get_files(fork.id, bench.get_checkpoints(fork.id)[-1].id)
    assert fork_files == bench.get_files(parent.id, after_embed.id)


def test_forks_resumed_one_after_another_each_see_their_own_files(files_ws: Path, make_bench) -> None:
    bench = make_bench(files_ws)
    parent = bench.run("files", {"tag": "p"})
    after_create = next(c for c in bench.get_checkpoints(parent.id) if c.step == 1)
    fork_a = bench.fork(parent.id, after_create.id, state_updates={"tag": "A"})
    fork_b = bench.fork(parent.id, after_create.id, state_updates={"tag": "B"})
    bench.resume(fork_a.id)
    tree_a = workspace_tree(files_ws)
    assert tree_a["work/c.txt"] == "a2 A"
    bench.resume(fork_b.id)
    tree_b = workspace_tree(files_ws)
    assert tree_b["work/c.txt"] == "a2 B"
    assert bench.get_state(fork_a.id)["tree"] == tree_a
    assert bench.get_state(fork_b.id)["tree"] == tree_b


def test_isolated_workspace_leaves_the_users_workspace_untouched(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    bench.register_project(
        WorkflowProject(name="rag_isolated", graph="./rag.py:graph", execution=ExecutionConfig(workspace="isolated"))
    )
    before = workspace_tree(sample_ws)
    execution = bench.run("rag_isolated", RAG_INPUT)
    assert execution.status is ExecutionStatus.COMPLETED
    assert workspace_tree(sample_ws) == before
    assert not (sample_ws / "out").exists()
    assert b"Quarterly revenue" in bench.read_file(execution.id, None, "out/answer.md")


def test_diff_between_a_fork_and_its_parent(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    parent = bench.run("rag", RAG_INPUT)
    after_embed = next(c for c in bench.get_checkpoints(parent.id) if c.step == 1)
    fork = bench.fork(parent.id, after_embed.id, state_updates={"query": "What is Ray?", "top_k": 1})
    bench.resume(fork.id)
    diff = bench.diff(parent.id, None, fork.id, None)
    assert set(diff.state.changed) == {"query", "top_k", "retrieved", "answer"}
    assert diff.state.changed["top_k"] == [2, 1]
    assert list(diff.files.modified) == ["out/answer.md"]
    assert not diff.files.added and not diff.files.removed
    early = bench.diff(parent.id, after_embed.id, parent.id, None)
    assert set(early.files.added) == {"out/answer.md"}
    assert set(early.state.added) == {"retrieved", "answer"}


def test_fork_costs_the_same_with_a_long_parent_history(make_workspace, make_bench) -> None:
    from tests.conftest import LINEAR_WORKFLOW

    ws = make_workspace({"flow.py": LINEAR_WORKFLOW + "\nlong = build(60)\n"}, {"long": "./flow.py:long"})
    bench = make_bench(ws)
    parent = bench.run("long", {"n": 0})
    middle = bench.get_checkpoints(parent.id)[30]
    fork = bench.fork(parent.id, middle.id)
    assert len(bench.get_checkpoints(fork.id)) == 1
    assert bench.get_state(fork.id)["n"] == bench.get_state(parent.id, middle.id)["n"]
    assert bench.get_state(bench.resume(fork.id).id)["n"] == 60
