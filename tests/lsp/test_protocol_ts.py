"""extension/src/protocol.ts is generated from the package wtb.lsp.protocol by scripts/gen_protocol_ts.py.

The first test fails while the file on disk is stale (run ``.venv/bin/python
scripts/gen_protocol_ts.py``); the others show that the check can fail and how annotations map.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pytest

from wtb.lsp import protocol as p

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gen_protocol_ts.py"


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_protocol_ts", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_protocol_ts_is_up_to_date() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, result.stderr.strip()


def test_check_reports_an_altered_field(tmp_path: Path) -> None:
    out = tmp_path / "protocol.ts"
    assert run_generator("--output", str(out)).returncode == 0
    assert run_generator("--check", "--output", str(out)).returncode == 0

    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    index = lines.index("  nextBefore: string | null;\n")
    lines[index] = "  nextBefore: string;\n"
    out.write_text("".join(lines), encoding="utf-8")

    result = run_generator("--check", "--output", str(out))
    assert result.returncode == 1
    message = result.stderr.strip()
    assert "\n" not in message
    assert f"is stale (line {index + 1}): run .venv/bin/python scripts/gen_protocol_ts.py" in message
    assert out.read_text(encoding="utf-8") == "".join(lines), "--check must not rewrite the file"


def test_check_reports_a_missing_file(tmp_path: Path) -> None:
    result = run_generator("--check", "--output", str(tmp_path / "absent.ts"))
    assert result.returncode == 1 and "is stale (missing)" in result.stderr


def test_generation_is_deterministic(gen: Any) -> None:
    assert gen.generate() == gen.generate()


def test_the_generator_reads_every_module_of_the_package(gen: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    modules = gen.MODULES
    monkeypatch.setattr(gen, "MODULES", tuple(name for name in modules if name != "goldens"))
    with pytest.raises(gen.GenerationError, match=r"MODULES does not name wtb\.lsp\.protocol\.goldens"):
        gen.generate()
    monkeypatch.setattr(gen, "MODULES", (*modules, "absent"))
    with pytest.raises(gen.GenerationError, match=r"names wtb\.lsp\.protocol\.absent, which does not exist"):
        gen.generate()


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "string"),
        (int, "number"),
        (float, "number"),
        (bool, "boolean"),
        (type(None), "null"),
        (Any, "unknown"),
        (Any | None, "unknown"),
        (str | None, "string | null"),
        (list[str], "string[]"),
        (list[str | None], "(string | null)[]"),
        (dict[str, Any], "Record<string, unknown>"),
        (dict[str, dict[str, int]], "Record<string, Record<string, number>>"),
        (tuple[str, int | None], "[string, number | null]"),
        (tuple[str, ...], "string[]"),
        (Literal["a", "b"], "'a' | 'b'"),
        (Literal["a", "b"] | None, "'a' | 'b' | null"),
        (list[p.GraphNode], "GraphNode[]"),
    ],
)
def test_annotations_map_to_typescript(gen: Any, annotation: object, expected: str) -> None:
    mapper = gen.TypeMapper({p.GraphNode: "GraphNode"}, {})
    assert mapper.map(annotation, "", "test") == expected


def test_aliases_are_used_only_where_the_annotation_names_them(gen: Any) -> None:
    mapper = gen.TypeMapper({}, {"ProgressToken": p.ProgressToken, "FileEncoding": p.FileEncoding})
    assert mapper.map(int | str | None, "ProgressToken | None", "test") == "ProgressToken | null"
    assert mapper.map(str | int | None, "str | int | None", "test") == "string | number | null"
    assert mapper.map(p.FileEncoding, "FileEncoding", "test") == "FileEncoding"


def test_an_unmappable_annotation_is_an_error(gen: Any) -> None:
    mapper = gen.TypeMapper({}, {})
    with pytest.raises(gen.GenerationError, match="keys are strings"):
        mapper.map(dict[int, str], "", "X.field")
    with pytest.raises(gen.GenerationError, match="no TypeScript"):
        mapper.map(bytes, "", "X.field")


def test_params_may_leave_out_defaults_and_results_carry_every_field() -> None:
    ts = (REPO / "extension" / "src" / "protocol.ts").read_text(encoding="utf-8")
    assert "export interface ListCheckpointsParams {\n  executionId: string;\n  limit?: number;\n" in ts
    assert "  /** pass as `before` for the next page; null: no more */\n  nextBefore: string | null;\n" in ts
    assert "export type ListWorkflowsParams = Record<string, never>;" in ts
    assert ts.startswith("// Generated by scripts/gen_protocol_ts.py from server/wtb/lsp/protocol/ — do not edit.")
