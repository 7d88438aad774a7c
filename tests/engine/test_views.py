"""Recorded views during a run: a view leaves the values to its checkpoint once it is stored."""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

import wtb.engine.views as views_module
from wtb.engine.views import CheckpointView, ViewRecorder, decode
from wtb.store.db import Database
from wtb.store.views import ViewStore


def view(checkpoint_id: str, step: int, values: dict[str, object]) -> CheckpointView:
    return CheckpointView(checkpoint_id, "", None, step, "loop", "", ["next"], values)


def test_a_view_shown_before_its_checkpoint_is_stored_waits_instead_of_keeping_a_copy_of_the_values(
    tmp_path: Path, monkeypatch
) -> None:
    """The stream shows a checkpoint while the saver still writes it. A flush then (one due at
    every step of a slow run) used to store that view with its own copy of the whole state:
    O(run²) bytes for a growing chat. It waits for the next flush, or the run's last."""
    monkeypatch.setattr(views_module, "FLUSH_INTERVAL_S", 0.0)  # a flush at every view
    store = ViewStore(Database(tmp_path / "wtb.db"))
    stored: dict[str, object] = {}
    recorder = ViewRecorder("e1", store, JsonPlusSerializer(), stored=stored)
    big = {"messages": ["x" * 1000] * 50}
    recorder.add(view("c1", 0, big))  # its checkpoint not stored yet
    assert store.of_execution("e1") == []
    stored["c1"] = big  # LangGraph stored it
    recorder.add(view("c2", 1, {"messages": ["y"]}))  # not stored yet either: waits
    rows = store.of_execution("e1")
    assert [r.checkpoint_id for r in rows] == ["c1"]
    assert decode(rows[0], JsonPlusSerializer()).values_in_checkpoint and len(rows[0].body[1]) < 1000
    recorder.flush()  # the run's end: every view, stored or not
    assert [r.checkpoint_id for r in store.of_execution("e1")] == ["c2", "c1"]
