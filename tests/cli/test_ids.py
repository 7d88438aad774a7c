"""The CLI takes ids the way the editor shows them (issue 20): 8 characters of an execution
id, the last 8 of a checkpoint id, or ``@N`` for a step; an ambiguous one is one line that
lists the matches."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.checks import one_clear_line
from tests.cli.conftest import Cli
from tests.test_cli import wtb
from wtb import WTBTestBench
from wtb.engine import runs


def test_short_ids_and_steps_name_what_the_full_ids_name(ws: Path, made: tuple[Path, str], cli: Cli) -> None:
    execution_id, short = made[1], made[1][:8]
    code, out, _ = cli("checkpoints", short, "--workspace", ws, "--json")
    assert code == 0
    checkpoints = json.loads(out)
    step_one = next(c for c in checkpoints if c["step"] == 1)
    full = json.loads(cli("state", execution_id, step_one["id"], "--workspace", ws, "--json")[1])
    for args in [(short, "@1"), (f"{short}@1",), (short, step_one["id"].replace("-", "")[-8:]),
                 (short, step_one["id"][-12:])]:
        code, out, err = cli("state", *args, "--workspace", ws, "--json")
        assert code == 0, (args, err)
        assert json.loads(out) == full, args
    assert json.loads(cli("state", short, "--workspace", ws, "--json")[1])["tree"] != full["tree"]  # the head
    code, out, err = cli("rollback", short, "@1", "--workspace", ws, "--json")
    assert code == 0, err
    assert json.loads(out)["checkpoint_id"] == step_one["id"]


def test_an_ambiguous_prefix_is_one_line_listing_the_matches(ws: Path, made: tuple[Path, str]) -> None:
    with WTBTestBench.create(workspace=ws) as bench:
        for n in (1, 2):
            runs.create_execution(bench.services, "files", {}, execution_id=f"cafe0000000{n}")
        checkpoints = bench.get_checkpoints(made[1])
    line = one_clear_line(wtb("state", "cafe00", "--workspace", str(ws)), "ambiguous", "cafe00000001", "cafe00000002")
    assert "Traceback" not in line
    shared = checkpoints[0].id[:8]  # a run's checkpoint ids share their first characters
    assert all(c.id.startswith(shared) for c in checkpoints)
    line = one_clear_line(wtb("state", made[1][:8], shared, "--workspace", str(ws)), "ambiguous", "@N")
    assert all(c.id in line for c in checkpoints)
    one_clear_line(wtb("state", made[1][:8], "@42", "--workspace", str(ws)), "no step 42")
