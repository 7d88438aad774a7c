"""Every checkpoint of the fidelity corpus reads through ``WTBSaver`` exactly as LangGraph's
``SqliteSaver`` stores it (issue 22: channel values stored by content).

Each graph runs once through :class:`~tests.engine.state_tee.TeeSaver`, which stores every
checkpoint and write in a plain ``SqliteSaver`` file too; then every checkpoint (root and
subgraphs) is read back through both. The inline threshold is lowered so that every value
of these small graphs goes through the value store.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from tests.corpus.graphs import CORPUS
from tests.corpus.test_fidelity import answer, compile_plain, cwd
from tests.engine.state_tee import TeeSaver, assert_same_checkpoints
from wtb.engine import state_values


@pytest.mark.parametrize("inline_max", [1, state_values.INLINE_MAX])
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_values_read_through_wtb_saver_equal_sqlite_savers(
    tmp_path: Path, name: str, inline_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_values, "INLINE_MAX", inline_max)
    entry = CORPUS[name]
    root = tmp_path / "ws"
    root.mkdir()
    with TeeSaver(root, tmp_path / "data", tmp_path / "plain.db") as saver:
        compiled = compile_plain(entry.build(), saver)
        config: Any = {"configurable": {"thread_id": "t"}}

        def invoke(value: Any) -> None:
            with cwd(root):
                if entry.run_async:
                    asyncio.run(compiled.ainvoke(value, config, durability="sync"))
                else:
                    compiled.invoke(value, config, durability="sync")

        invoke(entry.input)
        for answers in entry.answers:
            snap = compiled.get_state(config)
            pending = [(t.name, i.value) for t in snap.tasks for i in t.interrupts]
            ids = {i.value: i.id for t in snap.tasks for i in t.interrupts}
            invoke(Command(resume=answer(pending, ids, answers)))
        assert not compiled.get_state(config).next
        compared = assert_same_checkpoints(saver, saver.plain)
        assert compared >= 2
        stored = saver.conn.execute("SELECT count(*) FROM wtb_state_values").fetchone()[0]
        if inline_max == 1:
            assert stored > 0  # the values did go through the store
        history = list(compiled.get_state_history(config))
        assert len(history) == len(list(saver.list({"configurable": {"thread_id": "t", "checkpoint_ns": ""}})))
