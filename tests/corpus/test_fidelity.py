"""WTB sees every graph of the corpus exactly as LangGraph does (issue 19).

Each graph runs twice from the same input: once with plain LangGraph (an ``InMemorySaver``
that also records the files on disk at every ``put``), once with WTB. For every checkpoint,
root and inside subgraphs (two levels), WTB's values, next nodes, interrupts and files must
be LangGraph's; rollback + undo and fork + resume must give what LangGraph's own time travel
gives. Cases WTB gets wrong today are ``xfail(strict=True)`` with the reason, so each fix
flips exactly its cases.
"""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph
from langgraph.types import Command

from tests.corpus.graphs import CORPUS, CorpusGraph, Count, _chain, _sync_step
from wtb import ExecutionConfig, WorkflowProject
from wtb.errors import InvalidStateError, WTBError
from wtb.models import Execution, ExecutionStatus

Files = dict[str, bytes]


# -- plain LangGraph ----


class FileRecordingSaver(InMemorySaver):
    """An ``InMemorySaver`` that also keeps the files in ``root`` at each ``put`` (by checkpoint id).

    With ``durability="sync"`` a checkpoint is put after its step's nodes ended and before the
    next step starts: the files on disk then are the files of that checkpoint. The one
    exception is the ``input`` checkpoint: LangGraph puts it from a background thread while
    the first step already runs (an ``@entrypoint`` writes files in that step), so its files
    are the ones on disk as the invocation started (``start_files``), as WTB records them.
    """

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.files: dict[str, Files] = {}
        self.start_files: Files = {}

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        at_input = metadata.get("source") == "input" and not config["configurable"].get("checkpoint_ns")
        self.files[checkpoint["id"]] = dict(self.start_files) if at_input else disk_files(self.root)
        return super().put(config, checkpoint, metadata, new_versions)


def disk_files(root: Path) -> Files:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def restore_files(root: Path, files: Files) -> None:
    """Put a step's files on disk, and no folder that holds none (the corpus rolls back to no
    step that left an empty folder, so the step had none)."""
    for path in root.rglob("*"):
        if path.is_file() and path.relative_to(root).as_posix() not in files:
            path.unlink()
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)


@contextmanager
def cwd(directory: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def strip_ns(namespace: str) -> str:
    """``"outer:<task id>|inner:<task id>"`` -> ``"outer|inner"`` (task ids differ per run)."""
    return "|".join(part.split(":")[0] for part in namespace.split("|")) if namespace else ""


def by_instance(by_namespace: dict[str, list[Any]], last_values: Callable[[Any], Any]) -> dict[str, list[Any]]:
    """Checkpoint lists keyed by full namespace -> keyed by run-independent names.

    A subgraph node that runs once is its stripped namespace (``"outer|inner"``); one that
    runs several times in a step (``Send`` to a subgraph) is ``"node#0"``, ``"node#1"``, …,
    its instances ordered by the values they ended with (task ids differ per run).
    """
    groups: dict[str, list[str]] = {}
    for namespace in by_namespace:
        groups.setdefault(strip_ns(namespace), []).append(namespace)
    named: dict[str, list[Any]] = {}
    for stripped, namespaces in groups.items():
        if len(namespaces) == 1:
            named[stripped] = by_namespace[namespaces[0]]
            continue
        namespaces.sort(key=lambda ns: repr(last_values(by_namespace[ns][0])))
        for i, namespace in enumerate(namespaces):
            named[f"{stripped}#{i}"] = by_namespace[namespace]
    return named


def parallel_instance(name: str) -> bool:
    """Whether ``name`` (see :func:`by_instance`) is one of several instances of a subgraph
    running at once. The files at its inner steps hold whatever its siblings had written by
    then, a matter of thread timing on both sides, so they are not compared with LangGraph's
    run (docs/decisions.md); WTB must still restore exactly the files it shows."""
    return "#" in name


def interrupt_key(item: tuple[str, Any]) -> str:
    return repr(item)


@dataclass
class LGCheckpoint:
    """One checkpoint as LangGraph's ``get_state_history`` shows it, with the files of its step."""

    namespace: str
    config: Any
    step: int
    values: Any
    next: list[str]
    interrupts: list[tuple[str, Any]]  # (node, value), sorted
    interrupt_ids: dict[Any, str]  # value -> id
    files: Files
    parent_id: str | None
    ran: list[str] = field(default_factory=list)  # its tasks that ran to a result or an error, sorted
    failed: list[str] = field(default_factory=list)  # those that ended in an error, sorted
    parent: int | None = None  # index of its parent in the same namespace's list (None: none there)


def parent_indexes(ids: list[str], parents: list[str | None]) -> list[int | None]:
    """Each checkpoint's parent as an index into its own namespace's list (run-independent)."""
    return [ids.index(parent) if parent in ids else None for parent in parents]


@dataclass
class Paused:
    """LangGraph's ``get_state`` of the step a run stopped at with a question (a node that asks
    twice stops twice at one step)."""

    values: Any
    next: list[str]
    interrupts: list[tuple[str, Any]]  # (node, value), sorted


@dataclass
class PlainRun:
    entry: CorpusGraph
    root: Path
    compiled: Any
    saver: FileRecordingSaver
    config: Any
    by_ns: dict[str, list[LGCheckpoint]]  # newest first, namespaces stripped
    final: Any
    final_files: Files
    pauses: list[Paused] = field(default_factory=list)  # what get_state showed at each interrupt
    #: checkpoint id -> the files on disk when the run paused there (the step it left may
    #: have run in part: its finished tasks' files, which LangGraph does not write again)
    stop_files: dict[str, Files] = field(default_factory=dict)

    def invoke(self, value: Any, config: Any) -> Any:
        self.saver.start_files = disk_files(self.root)
        with cwd(self.root):
            if self.entry.run_async:
                return asyncio.run(self.compiled.ainvoke(value, config, durability="sync"))
            return self.compiled.invoke(value, config, durability="sync")


def compile_plain(graph: Any, saver: InMemorySaver) -> Any:
    if isinstance(graph, StateGraph):
        return graph.compile(checkpointer=saver)
    return graph.copy(update={"checkpointer": saver})  # an @entrypoint, or compiled with a cache


def answer(pending: list[tuple[str, Any]], ids: dict[Any, str], answers: dict[str, Any]) -> Any:
    """LangGraph's resume value: the bare answer for one interrupt, a dict by id for several."""
    if len(pending) == 1:
        return answers[pending[0][1]]
    return {ids[value]: answers[value] for _, value in pending}


def history(compiled: Any, config: Any, saver: FileRecordingSaver, into: dict[str, list[LGCheckpoint]]) -> None:
    """``get_state_history`` of one namespace and, through its tasks' subgraph configs, the inner ones."""
    inner: dict[str, Any] = {}
    for snap in compiled.get_state_history(config):
        namespace = snap.config["configurable"].get("checkpoint_ns", "")
        pending = [(t.name, i) for t in snap.tasks for i in t.interrupts]
        into.setdefault(namespace, []).append(
            LGCheckpoint(
                namespace=strip_ns(namespace),
                config=snap.config,
                step=snap.metadata["step"],
                values=snap.values,
                next=list(snap.next),
                interrupts=sorted(((node, i.value) for node, i in pending), key=interrupt_key),
                interrupt_ids={i.value: i.id for _, i in pending},
                files=saver.files[snap.config["configurable"]["checkpoint_id"]],
                parent_id=snap.parent_config["configurable"]["checkpoint_id"] if snap.parent_config else None,
                ran=sorted(t.name for t in snap.tasks if t.result is not None or t.error is not None),
                failed=sorted(t.name for t in snap.tasks if t.error is not None),
            )
        )
        for t in snap.tasks:
            if t.state is not None and namespace.count("|") < 1:  # two levels below the root
                inner.setdefault(t.state["configurable"]["checkpoint_ns"], t.state)
    for sub in inner.values():
        history(compiled, sub, saver, into)


def run_plain(entry: CorpusGraph, root: Path) -> PlainRun:
    root.mkdir(parents=True, exist_ok=True)
    saver = FileRecordingSaver(root)
    compiled = compile_plain(entry.build(), saver)
    config = {"configurable": {"thread_id": "plain"}}
    run = PlainRun(entry, root, compiled, saver, config, {}, None, {})
    run.invoke(entry.input, config)
    for answers in entry.answers:
        snap = compiled.get_state(config)
        run.stop_files[snap.config["configurable"]["checkpoint_id"]] = disk_files(root)
        pending = [(t.name, i.value) for t in snap.tasks for i in t.interrupts]
        at = compiled.get_state(snap.config)  # by its id: the step's own values, as its history shows them
        run.pauses.append(Paused(at.values, list(at.next), sorted(pending, key=interrupt_key)))
        ids = {i.value: i.id for t in snap.tasks for i in t.interrupts}
        run.invoke(Command(resume=answer(pending, ids, answers)), config)
    assert not compiled.get_state(config).next, "the corpus graph did not finish"
    by_namespace: dict[str, list[LGCheckpoint]] = {}
    history(compiled, config, saver, by_namespace)
    run.by_ns = by_instance(by_namespace, lambda c: c.values)
    for checkpoints in run.by_ns.values():
        ids = [c.config["configurable"]["checkpoint_id"] for c in checkpoints]
        for checkpoint, parent in zip(
            checkpoints, parent_indexes(ids, [c.parent_id for c in checkpoints]), strict=True
        ):
            checkpoint.parent = parent
    run.final = compiled.get_state(config).values
    run.final_files = disk_files(root)
    return run


# -- WTB ----


@dataclass
class WTBRun:
    bench: Any
    workspace: Path
    execution: Execution  # as the last run()/resume() returned it
    returned: list[Execution]  # what run() and each resume() returned


def wtb_answer(execution: Execution, answers: dict[str, Any]) -> Any:
    if len(answers) == 1:
        return next(iter(answers.values()))
    return {record.id: answers[record.value] for record in execution.interrupts}


def answered_again(bench: Any, done: Execution, entry: CorpusGraph) -> Execution:
    """Questions asked again after going on from a step (a subgraph that starts over asks again,
    as under LangGraph's own time travel) answered as in the run, until none is left."""
    for _ in range(len(entry.answers) + 2):
        if done.status is not ExecutionStatus.PAUSED or not done.interrupts:
            break
        answers = next(r for r in entry.answers if all(record.value in r for record in done.interrupts))
        done = bench.resume(done.id, resume_value=wtb_answer(done, answers))
    return done


def plain_answered_again(plain: PlainRun, entry: CorpusGraph) -> None:
    """:func:`answered_again` for plain LangGraph."""
    for _ in range(len(entry.answers) + 2):
        asked = plain.compiled.get_state(plain.config).interrupts
        if not asked:
            return
        pending = [("", item.value) for item in asked]
        answers = next(r for r in entry.answers if all(value in r for _, value in pending))
        plain.invoke(Command(resume=answer(pending, {item.value: item.id for item in asked}, answers)), plain.config)


def run_wtb(name: str, entry: CorpusGraph, make_bench: Callable[..., Any], workspace: Path) -> WTBRun:
    workspace.mkdir(parents=True, exist_ok=True)
    bench = make_bench(workspace, mode="testing")
    bench.register_project(WorkflowProject(name=name, graph=entry.build()))
    execution = bench.run(name, entry.input)
    returned = [execution]
    for answers in entry.answers:
        assert execution.status is ExecutionStatus.PAUSED, execution.error
        execution = bench.resume(execution.id, resume_value=wtb_answer(execution, answers))
        returned.append(execution)
    assert execution.status is ExecutionStatus.COMPLETED, execution.error
    return WTBRun(bench, workspace, execution, returned)


def without_output_files(values: Any) -> Any:
    """WTB's state is LangGraph's values plus the step's ``_output_files`` (when a dict)."""
    if isinstance(values, dict):
        return {k: v for k, v in values.items() if k != "_output_files"}
    return values


def wtb_files(bench: Any, execution_id: str, checkpoint_id: str | None) -> Files:
    paths = sorted(bench.get_files(execution_id, checkpoint_id))
    return {path: bench.read_file(execution_id, checkpoint_id, path) for path in paths}


def wtb_by_ns(bench: Any, execution_id: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for checkpoint in bench.get_checkpoints(execution_id, subgraphs=True):
        grouped.setdefault(checkpoint.namespace, []).append(checkpoint)
    return by_instance(grouped, lambda c: without_output_files(bench.get_state(execution_id, c.id)))


def wtb_checkpoint(bench: Any, execution_id: str, namespace: str, index: int) -> Any:
    """The WTB checkpoint aligned with LangGraph's ``index``-th (newest first) of ``namespace``."""
    if namespace == "":
        return bench.get_checkpoints(execution_id)[index]
    return wtb_by_ns(bench, execution_id)[namespace][index]


def wtb_interrupts(checkpoint_or_execution: Any) -> list[tuple[str, Any]]:
    return sorted(((r.node, r.value) for r in checkpoint_or_execution.interrupts), key=interrupt_key)


# -- the cases ----

NAMES = list(CORPUS)
SUBGRAPHS = [name for name, entry in CORPUS.items() if entry.subgraphs]
INTERRUPTS = [name for name, entry in CORPUS.items() if entry.answers]


def cases(names: list[str], failing: dict[str, str]) -> list[Any]:
    """``names`` as parameters, those in ``failing`` marked strict xfail with their reason."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=failing[name])) if name in failing else name
        for name in names
    ]


@dataclass
class Pair:
    plain: PlainRun
    wtb: WTBRun


@pytest.fixture
def pair(request: pytest.FixtureRequest, tmp_path: Path, make_bench: Callable[..., Any]) -> Pair:
    name = request.param
    entry = CORPUS[name]
    plain = run_plain(entry, tmp_path / "plain")
    return Pair(plain, run_wtb(name, entry, make_bench, tmp_path / "wtb"))


def pick(plain: PlainRun, kind: str) -> tuple[str, int]:
    """(namespace, index newest first) of the LangGraph checkpoint a rollback or fork starts from."""
    if kind == "input":
        return "", len(plain.by_ns[""]) - 1
    if kind == "middle":
        steps = [c.step for c in plain.by_ns[""]]
        return "", steps.index(plain.entry.middle_step)
    if kind == "interrupted":
        root = plain.by_ns[""]
        return "", next(i for i, c in enumerate(root) if c.interrupts)
    if kind == "nested":  # a subgraph's step whose next node is a subgraph of its own, not run yet
        for namespace, checkpoints in plain.by_ns.items():
            if not namespace:
                continue
            below = {ns.rpartition("|")[2] for ns in plain.by_ns if ns.startswith(namespace + "|")}
            for i, checkpoint in enumerate(checkpoints):
                if below & set(checkpoint.next):
                    return namespace, i
        raise AssertionError("no step inside a subgraph goes on into a nested one")
    namespace = max(plain.by_ns, key=lambda ns: ns.count("|") + 1 if ns else 0)
    if kind == "inner_last":  # the subgraph is done (unless it is left by Command.PARENT); the step around it is not
        return namespace, 0
    assert kind == "inner"
    return namespace, len(plain.by_ns[namespace]) // 2


# -- what WTB gets wrong today (one line each; a fix flips exactly the cases that name it) --



RUN_FAILS: dict[str, str] = {}
COUNT_FAILS = RUN_FAILS
VALUES_FAILS = RUN_FAILS
NEXT_FAILS = RUN_FAILS
INTERRUPTS_FAILS = RUN_FAILS
FILES_FAILS = RUN_FAILS
SUBGRAPH_FAILS: dict[str, str] = {}
RETURNED_FAILS = RUN_FAILS


@pytest.mark.parametrize("pair", cases(NAMES, COUNT_FAILS), indirect=True)
def test_checkpoint_count_and_steps(pair: Pair) -> None:
    ours = pair.wtb.bench.get_checkpoints(pair.wtb.execution.id)
    theirs = pair.plain.by_ns[""]
    assert [c.step for c in ours] == [c.step for c in theirs]
    assert parent_indexes([c.id for c in ours], [c.parent_id for c in ours]) == [c.parent for c in theirs]


@pytest.mark.parametrize("pair", cases(NAMES, VALUES_FAILS), indirect=True)
def test_values_per_checkpoint(pair: Pair) -> None:
    bench, execution_id = pair.wtb.bench, pair.wtb.execution.id
    ours = [without_output_files(bench.get_state(execution_id, c.id)) for c in bench.get_checkpoints(execution_id)]
    assert ours == [c.values for c in pair.plain.by_ns[""]]


@pytest.mark.parametrize("pair", cases(NAMES, NEXT_FAILS), indirect=True)
def test_next_per_checkpoint(pair: Pair) -> None:
    ours = [c.next for c in pair.wtb.bench.get_checkpoints(pair.wtb.execution.id)]
    assert ours == [c.next for c in pair.plain.by_ns[""]]


@pytest.mark.parametrize("pair", cases(NAMES, INTERRUPTS_FAILS), indirect=True)
def test_interrupts_per_checkpoint(pair: Pair) -> None:
    ours = [wtb_interrupts(c) for c in pair.wtb.bench.get_checkpoints(pair.wtb.execution.id)]
    assert ours == [c.interrupts for c in pair.plain.by_ns[""]]


@pytest.mark.parametrize("pair", cases(NAMES, FILES_FAILS), indirect=True)
def test_files_per_checkpoint(pair: Pair) -> None:
    bench, execution_id = pair.wtb.bench, pair.wtb.execution.id
    ours = [wtb_files(bench, execution_id, c.id) for c in bench.get_checkpoints(execution_id)]
    assert ours == [c.files for c in pair.plain.by_ns[""]]


@pytest.mark.parametrize("pair", cases(NAMES, RUN_FAILS), indirect=True)
def test_writes_and_errors_per_checkpoint(pair: Pair) -> None:
    """Each checkpoint's writes name every task LangGraph says ran from its parent (plus the
    tasks pushed while that step ran, which LangGraph's history does not list); its errors
    are exactly the tasks LangGraph shows with an error."""
    ours = pair.wtb.bench.get_checkpoints(pair.wtb.execution.id)
    theirs = pair.plain.by_ns[""]
    for mine, lg in zip(ours, theirs, strict=True):
        parent = theirs[lg.parent] if lg.parent is not None else None
        assert set(parent.ran if parent else []) <= set(mine.writes) | set(mine.errors), mine.step
        assert sorted(mine.errors) == (parent.failed if parent else []), mine.step


def test_retried_attempts_errors_and_pushed_tasks_are_visible(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    """What LangGraph's stream tells only once: a retried attempt's error (``RetryPolicy``, a
    node timeout), the error an error handler took over with the handler's writes, and the
    Functional API's ``@task`` results."""

    def step_after(name: str, node: str) -> Any:
        wtb = run_wtb(name, CORPUS[name], make_bench, tmp_path / name)
        [found] = [c for c in wtb.bench.get_checkpoints(wtb.execution.id) if node in c.writes]
        return found

    retried = step_after("retry", "flaky")
    assert retried.retries == {"flaky": ["ConnectionError: first attempt fails"]} and retried.errors == {}
    timed_out = step_after("timeout", "slow")
    assert list(timed_out.retries) == ["slow"] and timed_out.retries["slow"][0].startswith("NodeTimeoutError")
    handled = step_after("error_handler", "fragile")
    assert handled.errors == {"fragile": "ValueError: the parser choked"} and handled.retries == {}
    assert handled.writes["__error_handler__fragile"] == {"log": ["recovered from fragile"]}
    functional = step_after("functional", "poem")
    assert functional.writes["draft_line"] == [{"__return__": "tides #0"}, {"__return__": "tides #1"}]


@pytest.mark.parametrize("pair", cases(SUBGRAPHS, SUBGRAPH_FAILS), indirect=True)
def test_subgraph_checkpoints_as_langgraph_sees_them(pair: Pair) -> None:
    bench, execution_id = pair.wtb.bench, pair.wtb.execution.id
    ours = wtb_by_ns(bench, execution_id)
    assert sorted(ours) == sorted(pair.plain.by_ns)
    for namespace, theirs in pair.plain.by_ns.items():
        mine = ours[namespace]
        assert [c.step for c in mine] == [c.step for c in theirs], namespace
        assert [without_output_files(bench.get_state(execution_id, c.id)) for c in mine] == [
            c.values for c in theirs
        ], namespace
        assert [c.next for c in mine] == [c.next for c in theirs], namespace
        assert [wtb_interrupts(c) for c in mine] == [c.interrupts for c in theirs], namespace
        if not parallel_instance(namespace):
            assert [wtb_files(bench, execution_id, c.id) for c in mine] == [c.files for c in theirs], namespace
        parents = parent_indexes([c.id for c in mine], [c.parent_id for c in mine])
        assert parents == [c.parent for c in theirs], namespace


@pytest.mark.parametrize("pair", cases(NAMES, RETURNED_FAILS), indirect=True)
def test_run_and_resume_return_state_next_and_interrupts(pair: Pair) -> None:
    """Each run()/resume() returns the execution at its head: LangGraph's values, next, interrupts."""
    heads = [*pair.plain.pauses, pair.plain.by_ns[""][0]]
    assert len(pair.wtb.returned) == len(heads)
    for returned, head in zip(pair.wtb.returned, heads, strict=True):
        assert without_output_files(returned.state) == head.values
        assert returned.next_nodes == head.next
        assert wtb_interrupts(returned) == head.interrupts


ROLLBACKS = (
    [(name, "input") for name in NAMES]
    + [(name, "middle") for name in NAMES]
    + [(name, "inner") for name in SUBGRAPHS]
    + [(name, "interrupted") for name in INTERRUPTS]
)


def kind_cases(pairs: list[tuple[str, str]], failing: dict[tuple[str, str], str]) -> list[Any]:
    return [
        pytest.param(
            name, kind, id=f"{name}-{kind}", marks=pytest.mark.xfail(strict=True, reason=failing[(name, kind)])
        )
        if (name, kind) in failing
        else pytest.param(name, kind, id=f"{name}-{kind}")
        for name, kind in pairs
    ]


ROLLBACK_FAILS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(("name", "kind"), kind_cases(ROLLBACKS, ROLLBACK_FAILS))
def test_rollback_and_undo(name: str, kind: str, tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    plain = run_plain(CORPUS[name], tmp_path / "plain")
    wtb = run_wtb(name, CORPUS[name], make_bench, tmp_path / "wtb")
    namespace, index = pick(plain, kind)
    theirs = plain.by_ns[namespace][index]
    bench, execution_id = wtb.bench, wtb.execution.id
    target = wtb_checkpoint(bench, execution_id, namespace, index)
    shown = wtb_files(bench, execution_id, target.id)
    bench.rollback(execution_id, target.id)
    assert without_output_files(bench.get_state(execution_id)) == theirs.values
    assert disk_files(wtb.workspace) == shown  # exactly the files the tree shows for that step
    if not parallel_instance(namespace):
        assert shown == theirs.files
    bench.undo_rollback(execution_id)
    assert without_output_files(bench.get_state(execution_id)) == plain.final
    assert disk_files(wtb.workspace) == plain.final_files


#: Graphs with a subgraph inside a subgraph: going on from a step of the outer one, before the
#: inner one ran, runs the inner one again (its namespace holds the checkpoints it made then).
NESTED = ["subgraph2"]
FORKS = (
    [(name, "middle") for name in NAMES]
    + [(name, "inner") for name in SUBGRAPHS]
    + [(name, "inner_last") for name in SUBGRAPHS]
    + [(name, "nested") for name in NESTED]
    + [(name, "interrupted") for name in INTERRUPTS]
)
FORK_FAILS: dict[tuple[str, str, str], str] = {}


def via_cases(pairs: list[tuple[str, str]], vias: list[str], failing: dict[tuple[str, str, str], str]) -> list[Any]:
    """:func:`kind_cases` times ``vias``, a case in ``failing`` marked strict xfail with its reason."""
    return [
        pytest.param(
            name, kind, via, id=f"{name}-{kind}-{via}",
            marks=[pytest.mark.xfail(strict=True, reason=failing[(name, kind, via)])]
            if (name, kind, via) in failing else [],
        )
        for name, kind in pairs
        for via in vias
    ]


@pytest.mark.parametrize(("name", "kind", "via"), via_cases(FORKS, ["fork", "rollback"], FORK_FAILS))
def test_fork_or_rollback_and_resume_end_as_langgraphs_time_travel(
    name: str, kind: str, via: str, tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """Go on from a checkpoint in a fork, or in the execution itself after a rollback there
    (its later steps still in its thread): either ends where LangGraph's time travel does.

    But a fork from a step whose tasks asked questions is the run as it was paused there
    (docs/decisions.md): answered, it ends where the run's own resume did. LangGraph's time
    travel to that step answered keeps the answers given then, and a subgraph that asked is
    not run again at all (its files, restored to the step's, stay missing).
    """
    entry = CORPUS[name]
    plain = run_plain(entry, tmp_path / "plain")
    wtb = run_wtb(name, entry, make_bench, tmp_path / "wtb")
    namespace, index = pick(plain, kind)
    theirs = plain.by_ns[namespace][index]
    bench = wtb.bench
    target = wtb_checkpoint(bench, wtb.execution.id, namespace, index).id
    if via == "fork":
        going_on = bench.fork(wtb.execution.id, target)
    else:
        bench.rollback(wtb.execution.id, target)
        going_on = bench.get_execution(wtb.execution.id)
    if kind == "inner_last" and not theirs.next:
        # The subgraph is done, so going on finishes the step of the graph around it and the
        # run ends as it did. (LangGraph's own time travel from a subgraph's step runs the whole
        # subgraph again, an upstream bug: a subgraph that asked would ask again.)
        assert going_on.status is ExecutionStatus.PAUSED and going_on.next_nodes
        done = answered_again(bench, bench.resume(going_on.id), entry)
        assert done.status is ExecutionStatus.COMPLETED, done.error
        assert without_output_files(bench.get_state(going_on.id)) == plain.final
        assert disk_files(wtb.workspace) == plain.final_files
        return
    # LangGraph's time travel: invoke from that checkpoint's config, its step's files on disk
    # (those the run paused with there, when it did: its finished tasks are not run again).
    restore_files(plain.root, plain.stop_files.get(theirs.config["configurable"]["checkpoint_id"], theirs.files))
    if theirs.interrupts:
        answers = next(round for round in entry.answers if all(question in round for _, question in theirs.interrupts))
        plain.invoke(Command(resume=answer(theirs.interrupts, theirs.interrupt_ids, answers)), theirs.config)
        done = bench.resume(going_on.id, resume_value=wtb_answer(going_on, answers))
    elif going_on.status is ExecutionStatus.COMPLETED:  # rolled back to a last step: LangGraph runs nothing
        plain.invoke(None, theirs.config)
        with pytest.raises(InvalidStateError, match="nothing to resume"):
            bench.resume(going_on.id)
        done = going_on
    else:
        plain.invoke(None, theirs.config)
        done = bench.resume(going_on.id)
    done = answered_again(bench, done, entry)
    plain_answered_again(plain, entry)
    assert done.status is ExecutionStatus.COMPLETED, done.error
    if via == "fork" and theirs.interrupts:
        assert without_output_files(bench.get_state(going_on.id)) == plain.final
        assert disk_files(wtb.workspace) == plain.final_files
        return
    assert without_output_files(bench.get_state(going_on.id)) == plain.compiled.get_state(plain.config).values
    if not parallel_instance(namespace):
        assert disk_files(wtb.workspace) == disk_files(plain.root)


def test_the_plain_side_records_each_steps_files_and_two_levels_of_subgraphs(tmp_path: Path) -> None:
    """The harness itself: files at a put are the files of that step; inner namespaces are found."""
    chain = run_plain(CORPUS["async"], tmp_path / "async")
    for checkpoint in chain.by_ns[""]:
        ran = ["a1", "a2", "a3"][: max(checkpoint.step, 0)]
        assert sorted(checkpoint.files) == [f"out/{name}.txt" for name in ran], checkpoint.step
    nested = run_plain(CORPUS["subgraph2"], tmp_path / "nested")
    assert sorted(nested.by_ns) == ["", "middle", "middle|inner"]
    assert [c.step for c in nested.by_ns["middle|inner"]] == [2, 1, 0, -1]
    assert nested.by_ns["middle|inner"][1].files["out/i1.txt"] == b"i1 saw 2"
    assert "out/i2.txt" not in nested.by_ns["middle|inner"][1].files
    cache = run_plain(CORPUS["cache"], tmp_path / "cache")
    assert cache.final_files["square_calls.txt"] == b"3\n"  # the second ask was a cache hit


# -- edge behaviours ----


def test_resume_without_a_value_while_interrupts_are_pending_is_refused(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    (tmp_path / "wtb").mkdir()
    bench = make_bench(tmp_path / "wtb", mode="testing")
    bench.register_project(WorkflowProject(name="interrupt", graph=CORPUS["interrupt"].build()))
    paused = bench.run("interrupt", CORPUS["interrupt"].input)
    assert paused.status is ExecutionStatus.PAUSED
    before = [c.id for c in bench.get_checkpoints(paused.id)]
    with pytest.raises(InvalidStateError):
        bench.resume(paused.id)
    after = bench.get_execution(paused.id)
    assert after.status is ExecutionStatus.PAUSED
    assert [c.id for c in bench.get_checkpoints(paused.id)] == before
    # Still answerable: it then ends as LangGraph's run does.
    plain = run_plain(CORPUS["interrupt"], tmp_path / "plain")
    done = bench.resume(paused.id, resume_value="yes")
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert without_output_files(bench.get_state(paused.id)) == plain.final


def join_parallel_step(bench: Any, execution_id: str) -> Any:
    """The join graph's checkpoint after ``left`` and ``right`` ran in one step (next: join)."""
    return next(c for c in bench.get_checkpoints(execution_id) if c.step == 1)


def test_fork_with_an_update_at_a_parallel_step_needs_as_node(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    wtb = run_wtb("join", CORPUS["join"], make_bench, tmp_path / "wtb")
    bench = wtb.bench
    with pytest.raises(WTBError) as raised:
        bench.fork(wtb.execution.id, join_parallel_step(bench, wtb.execution.id).id, state_updates={"left": "X"})
    assert "left" in str(raised.value) and "right" in str(raised.value)
    assert [e.id for e in bench.list_executions()] == [wtb.execution.id]


def test_fork_with_an_update_as_one_parallel_node_matches_langgraph(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    plain = run_plain(CORPUS["join"], tmp_path / "plain")
    wtb = run_wtb("join", CORPUS["join"], make_bench, tmp_path / "wtb")
    theirs = next(c for c in plain.by_ns[""] if c.step == 1)
    restore_files(plain.root, theirs.files)
    edited = plain.compiled.update_state(theirs.config, {"left": "L:edited"}, as_node="left")
    next_after_edit = list(plain.compiled.get_state(edited).next)
    plain.invoke(None, edited)
    bench = wtb.bench
    fork = bench.fork(
        wtb.execution.id,
        join_parallel_step(bench, wtb.execution.id).id,
        state_updates={"left": "L:edited"},
        as_node="left",
    )
    assert fork.next_nodes == next_after_edit
    bench.resume(fork.id)
    assert without_output_files(bench.get_state(fork.id)) == plain.compiled.get_state(plain.config).values
    assert disk_files(wtb.workspace) == disk_files(plain.root)


def test_a_run_asking_for_exit_durability_is_told_wtb_checkpoints_every_step(
    tmp_path: Path, make_bench: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    plain = run_plain(CORPUS["join"], tmp_path / "plain")
    (tmp_path / "wtb").mkdir()
    bench = make_bench(tmp_path / "wtb", mode="testing")
    project = WorkflowProject(name="join", graph=CORPUS["join"].build(), execution=ExecutionConfig(durability="exit"))
    bench.register_project(project)
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        execution = bench.run("join", CORPUS["join"].input)
    assert execution.status is ExecutionStatus.COMPLETED
    assert [c.step for c in bench.get_checkpoints(execution.id)] == [c.step for c in plain.by_ns[""]]
    told = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] + [str(w.message) for w in warned]
    assert any("durability" in message for message in told), told


def plain_edit_inside_and_answer(root: Path, edits: dict[str, Any], reply: Any) -> tuple[Any, Files]:
    """LangGraph's own way: run ``interrupt_in_subgraph`` to its question, edit the subgraph's state
    through the config ``get_state(..., subgraphs=True)`` shows for it, answer. The final values and files."""
    entry = CORPUS["interrupt_in_subgraph"]
    root.mkdir(parents=True)
    saver = FileRecordingSaver(root)
    compiled = compile_plain(entry.build(), saver)
    config = {"configurable": {"thread_id": "plain"}}
    run = PlainRun(entry, root, compiled, saver, config, {}, None, {})
    run.invoke(entry.input, config)
    inner = next(t.state for t in compiled.get_state(config, subgraphs=True).tasks if t.state is not None)
    compiled.update_state(inner.config, edits)
    run.invoke(Command(resume=reply), config)
    return compiled.get_state(config).values, disk_files(root)


def asked_inside(bench: Any, execution_id: str) -> Any:
    """The step inside ``review`` at which its ``ask`` node asks."""
    return next(c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace and c.interrupts)


@pytest.mark.parametrize("how", ["fork", "rollback"])
def test_an_edit_inside_a_subgraph_then_an_answer_ends_as_in_langgraph(
    how: str, tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """At the step where a subgraph asks, edit the subgraph's state and answer: the run goes on
    inside the subgraph from the edited state (``ask`` and ``r2`` see it, the parent after
    them), ending with LangGraph's values and files for the same edit and answer."""
    expected, expected_files = plain_edit_inside_and_answer(tmp_path / "plain", {"n": 10}, "yes")
    wtb = run_wtb("interrupt_in_subgraph", CORPUS["interrupt_in_subgraph"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    asked = asked_inside(bench, execution_id)
    if how == "fork":
        target = bench.fork(execution_id, asked.id, state_updates={"n": 10})
        assert target.head_checkpoint_id != asked.id  # the edited copy of the step
        assert bench.get_state(target.id)["n"] == 10
    else:
        bench.rollback(execution_id, asked.id)
        target = bench.get_execution(execution_id)
    done = bench.resume(target.id, state_updates={"n": 10} if how == "rollback" else None, resume_value="yes")
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert without_output_files(bench.get_state(done.id)) == expected
    assert disk_files(wtb.workspace) == expected_files
    edited = [c for c in bench.get_checkpoints(done.id, subgraphs=True) if c.source == "update"]
    assert [(strip_ns(c.namespace), bench.get_state(done.id, c.id)["n"]) for c in edited] == [("review", 10)]


def test_an_edit_inside_a_subgraph_naming_a_field_it_lacks_changes_nothing(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """The fields are the subgraph's; a refused edit leaves no fork and the execution as it was."""
    wtb = run_wtb("interrupt_in_subgraph", CORPUS["interrupt_in_subgraph"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    asked = asked_inside(bench, execution_id)
    with pytest.raises(WTBError, match=r"'nope'.*its fields: log, n"):
        bench.fork(execution_id, asked.id, state_updates={"nope": 1})
    assert [e.id for e in bench.list_executions()] == [execution_id]
    bench.rollback(execution_id, asked.id)
    before = [c.id for c in bench.get_checkpoints(execution_id, subgraphs=True)]
    with pytest.raises(WTBError, match="'nope'"):
        bench.resume(execution_id, state_updates={"nope": 1}, resume_value="yes")
    assert [c.id for c in bench.get_checkpoints(execution_id, subgraphs=True)] == before
    assert bench.get_execution(execution_id).head_checkpoint_id == asked.id


def test_an_edit_inside_a_subgraph_langgraph_cannot_find_is_refused_clearly(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """A subgraph compiled inside a node's function is not among the graph's subgraphs, so
    LangGraph cannot edit its state: said before anything is stored; a fork without edits works."""
    def outer(state: Count) -> Count:
        inner = _chain([("i1", _sync_step("i1")), ("i2", _sync_step("i2"))]).compile()  # compiled here
        return {"n": inner.invoke({"n": state.get("n", 0)})["n"]}

    (tmp_path / "wtb").mkdir()
    bench = make_bench(tmp_path / "wtb", mode="testing")
    bench.register_project(WorkflowProject(name="hidden", graph=_chain([("outer", outer)])))
    execution = bench.run("hidden", {"n": 0})
    assert execution.status is ExecutionStatus.COMPLETED, execution.error
    inner_step = next(c for c in bench.get_checkpoints(execution.id, subgraphs=True) if c.namespace and c.next)
    with pytest.raises(WTBError, match=r"subgraph 'outer'.*cannot edit its state"):
        bench.fork(execution.id, inner_step.id, state_updates={"n": 5})
    assert [e.id for e in bench.list_executions()] == [execution.id]
    assert bench.fork(execution.id, inner_step.id).status is ExecutionStatus.PAUSED


def test_an_edit_two_levels_down_is_seen_by_the_steps_after_it(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    """Rolled back (or forked) to the innermost subgraph's step after ``i1``, an edit of ``n``
    there is what ``i2`` and every step after it count on from."""
    wtb = run_wtb("subgraph2", CORPUS["subgraph2"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    final = bench.get_state(execution_id)
    inner = [c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace.count("|") == 1]
    after_i1 = next(c for c in inner if "i1" in c.writes)
    shift = 100 - bench.get_state(execution_id, after_i1.id)["n"]
    fork = bench.fork(execution_id, after_i1.id, state_updates={"n": 100})
    bench.rollback(execution_id, after_i1.id)
    for done in (bench.resume(fork.id), bench.resume(execution_id, state_updates={"n": 100})):
        assert done.status is ExecutionStatus.COMPLETED, done.error
        state = bench.get_state(done.id)
        assert state["n"] == final["n"] + shift
        assert without_output_files(state) == {**without_output_files(final), "n": final["n"] + shift}


def test_a_rollback_inside_a_subgraph_resumes_from_there(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    """Two levels down, after ``i1``, with the run's later steps still in its thread: the
    resume runs ``i2``, ``m2``, ``o2`` and nothing before them again, ends where the run
    did (files included), and its steps branch from the step rolled back to."""
    wtb = run_wtb("subgraph2", CORPUS["subgraph2"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    final, files = bench.get_state(execution_id), disk_files(wtb.workspace)
    inner = [c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace.count("|") == 1]
    after_i1 = next(c for c in inner if "i1" in c.writes)
    at_i1 = bench.get_state(execution_id, after_i1.id)
    bench.rollback(execution_id, after_i1.id)
    assert disk_files(wtb.workspace) != files
    before = {c.id for c in bench.get_checkpoints(execution_id, subgraphs=True)}
    done = bench.resume(execution_id)
    assert done.status is ExecutionStatus.COMPLETED, done.error
    new = [c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.id not in before]
    assert sorted(node for c in new for node in c.writes) == ["i2", "inner", "m2", "middle", "o2"]
    assert after_i1.id in {c.parent_id for c in new}
    assert bench.get_state(execution_id) == final and disk_files(wtb.workspace) == files
    assert bench.get_state(execution_id, after_i1.id) == at_i1  # the step rolled back to is as it was
    assert done.head_checkpoint_id not in before


def test_going_on_inside_one_parallel_subgraph_runs_its_siblings_again(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """Rolled back to the first step of one of three ``polish`` instances, a resume runs the
    root step's tasks again: the siblings, whose namespaces hold the checkpoints they made
    before, start over and write their files again (read as finished, they returned their
    results without running, and the workspace restored to that step lacked their files)."""
    wtb = run_wtb("send_subgraph", CORPUS["send_subgraph"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    final, files = bench.get_state(execution_id), disk_files(wtb.workspace)
    first = next(c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace and c.next == ["shape"])
    bench.rollback(execution_id, first.id)
    done = bench.resume(execution_id)
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert bench.get_state(execution_id) == final and disk_files(wtb.workspace) == files


def test_a_resume_that_stops_inside_a_subgraph_again_says_so(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    """Rolled back to ``review``'s first step, a resume runs ``r1`` and stops at the question
    again: the execution's head is that inner step, the returned execution and
    ``get_execution`` both show the question, and the answer ends the run as the first one."""
    plain = run_plain(CORPUS["interrupt_in_subgraph"], tmp_path / "plain")
    wtb = run_wtb("interrupt_in_subgraph", CORPUS["interrupt_in_subgraph"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    start = next(c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace and c.next == ["r1"])
    bench.rollback(execution_id, start.id)
    paused = bench.resume(execution_id)
    again = bench.get_execution(execution_id)
    assert paused.status is again.status is ExecutionStatus.PAUSED
    assert [i.value for i in paused.interrupts] == [i.value for i in again.interrupts] == ["Publish the review?"]
    assert paused.next_nodes == again.next_nodes == ["ask"]
    inner = {c.id: c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace}
    assert inner[again.head_checkpoint_id].namespace.startswith("review:")
    done = bench.resume(execution_id, resume_value="yes")
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert without_output_files(bench.get_state(execution_id)) == plain.final
    assert disk_files(wtb.workspace) == plain.final_files


def test_a_fork_inside_a_subgraph_goes_on_from_there(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    """Two levels down, after ``i1``: the fork's resume runs ``i2``, ``m2``, ``o2`` and nothing
    before them again (LangGraph's own time travel would run the subgraph from its start),
    and ends where the original run did, files included."""
    wtb = run_wtb("subgraph2", CORPUS["subgraph2"], make_bench, tmp_path / "wtb")
    bench, execution_id = wtb.bench, wtb.execution.id
    final, files = bench.get_state(execution_id), disk_files(wtb.workspace)
    inner = [c for c in bench.get_checkpoints(execution_id, subgraphs=True) if c.namespace.count("|") == 1]
    after_i1 = next(c for c in inner if "i1" in c.writes)
    fork = bench.fork(execution_id, after_i1.id)
    assert fork.head_checkpoint_id == after_i1.id and fork.status is ExecutionStatus.PAUSED
    assert bench.get_state(fork.id) == bench.get_state(execution_id, after_i1.id)
    assert set(bench.get_files(fork.id)) == set(bench.get_files(execution_id, after_i1.id))
    shared = {c.id for c in bench.get_checkpoints(fork.id, subgraphs=True)}
    done = bench.resume(fork.id)
    assert done.status is ExecutionStatus.COMPLETED, done.error
    ran = [node for c in bench.get_checkpoints(fork.id, subgraphs=True) if c.id not in shared for node in c.writes]
    assert sorted(ran) == ["i2", "inner", "m2", "middle", "o2"]
    assert bench.get_state(fork.id) == final and disk_files(wtb.workspace) == files
    assert bench.get_state(execution_id) == final  # the execution it came from is as it was


def test_a_cache_hit_is_marked_on_the_step_it_answered(tmp_path: Path, make_bench: Callable[..., Any]) -> None:
    """``square`` runs once for real and once from LangGraph's cache: only the second step says so."""
    wtb = run_wtb("cache", CORPUS["cache"], make_bench, tmp_path / "wtb")
    oldest_first = list(reversed(wtb.bench.get_checkpoints(wtb.execution.id)))
    squares = [c for c in oldest_first if "square" in c.writes]
    assert [c.cached for c in squares] == [[], ["square"]]
    assert all(c.cached == [] for c in oldest_first if c not in squares)
    assert (wtb.workspace / "square_calls.txt").read_text().count("\n") == 1


# -- going on from where a run stopped with a step half done ----


def test_a_resume_keeps_the_files_of_tasks_that_finished_before_the_question(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """``writer`` finished in the step where ``asker`` asked: answered, LangGraph runs only
    ``asker``, so the writer's file (not in the checkpoint's files) must be kept, written once."""
    bench = make_bench(tmp_path, mode="testing")
    bench.register_project(WorkflowProject(name="beside", graph=CORPUS["asks_beside_writer"].build()))
    paused = bench.run("beside", {"topic": "t"})
    assert paused.status is ExecutionStatus.PAUSED
    assert "out/writer.txt" not in bench.get_files(paused.id)  # the head is the step before
    (tmp_path / "out" / "writer.txt").unlink()  # gone meanwhile: the resume brings the stop's files back
    done = bench.resume(paused.id, resume_value="yes")
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert (tmp_path / "out" / "writer.txt").read_text() == "written once\n"
    assert done.state["final"] == "drafted:yes"


def test_a_resume_with_edits_runs_the_whole_step_again_from_the_checkpoints_files(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """An edit makes a new step whose tasks all run: they start from the checkpoint's files."""
    bench = make_bench(tmp_path, mode="testing")
    bench.register_project(WorkflowProject(name="beside", graph=CORPUS["asks_beside_writer"].build()))
    paused = bench.run("beside", {"topic": "t"})
    again = bench.resume(paused.id, state_updates={"topic": "u"}, resume_value="yes")
    assert again.status is ExecutionStatus.COMPLETED and again.state["final"] == "drafted:yes", again.error
    assert (tmp_path / "out" / "writer.txt").read_text() == "written once\n"  # not appended to a kept copy


def test_a_fork_from_a_question_answered_otherwise_runs_the_tasks_after_it_again(
    tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """The fork is the run as it paused: the ``@task`` the entrypoint called after the answer
    runs again with the fork's answer, and its file is written (the one before is kept)."""
    bench = make_bench(tmp_path, mode="testing")
    bench.register_project(WorkflowProject(name="essay", graph=CORPUS["functional_asks"].build()))
    paused = bench.run("essay", "sea")
    head = paused.head_checkpoint_id
    assert bench.resume(paused.id, resume_value="ok").state == {"lines": ["sea #0", "sea/ok #1"], "verdict": "ok"}
    fork = bench.fork(paused.id, head)
    done = bench.resume(fork.id, resume_value="no")
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert done.state == {"lines": ["sea #0", "sea/no #1"], "verdict": "no"}
    assert (tmp_path / "lines" / "0.txt").read_text() == "sea #0"
    assert (tmp_path / "lines" / "1.txt").read_text() == "sea/no #1"


def _writer_beside_a_failure(failing: list[bool]) -> StateGraph:
    """``writer`` and ``boom`` in one step; ``boom`` raises while ``failing[0]``."""
    from tests.corpus.graphs import AskState, append

    def writer(state: AskState) -> AskState:
        append("out/writer.txt", "written once\n")
        return {"draft": "drafted"}

    def boom(state: AskState) -> AskState:
        if failing[0]:
            raise RuntimeError("not yet")
        return {"final": "done"}

    graph = StateGraph(AskState)
    graph.add_node("writer", writer)
    graph.add_node("boom", boom)
    graph.add_edge("__start__", "writer")
    graph.add_edge("__start__", "boom")
    return graph


@pytest.mark.parametrize("via", ["resume", "fork"])
def test_going_on_after_a_failure_keeps_the_files_of_the_tasks_that_finished(
    via: str, tmp_path: Path, make_bench: Callable[..., Any]
) -> None:
    """Resumed, LangGraph keeps ``writer``'s result from the failed step and runs only ``boom``
    again, so the writer's file must be the one it wrote; a fork (a copy of the step without
    its writes) runs both from the checkpoint's files. Either way it is written once."""
    failing = [True]
    bench = make_bench(tmp_path, mode="testing")
    bench.register_project(WorkflowProject(name="boom", graph=_writer_beside_a_failure(failing)))
    failed = bench.run("boom", {"topic": "t"})
    assert failed.status is ExecutionStatus.FAILED
    (tmp_path / "out" / "writer.txt").unlink()
    failing[0] = False
    going_on = failed if via == "resume" else bench.fork(failed.id, bench.get_execution(failed.id).head_checkpoint_id)
    done = bench.resume(going_on.id)
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert (done.state["draft"], done.state["final"]) == ("drafted", "done")
    assert (tmp_path / "out" / "writer.txt").read_text() == "written once\n"
