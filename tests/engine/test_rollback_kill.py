"""kill -9 at random moments of a rollback: after reopening, exactly the target or exactly the
state before, never a mix (see ``rollback_kill.py``; ``python -m tests.engine.rollback_kill
--trials 200`` is the stress run)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.engine.rollback_kill import run_trials

SEED = int(os.environ.get("WTB_KILL_SEED", "20240611"))
TRIALS = 24


def test_rollbacks_killed_at_random_moments_end_at_one_side(tmp_path: Path) -> None:
    report = run_trials(tmp_path / "ws", TRIALS, SEED)
    assert report.trials == TRIALS
    assert report.mixed == [], f"seed {SEED}: {report}"
    assert report.problems == [], f"seed {SEED}: {report}"
    assert report.at_target and report.at_before, f"seed {SEED}: the kills did not land on both sides: {report}"
