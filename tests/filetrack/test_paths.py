"""Relative paths: normalised, never escaping the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wtb.filetrack.errors import UnsafePathError
from wtb.filetrack.paths import ensure_inside, normalize, normalize_root


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a/b", "a/b"), ("./a//b/", "a/b"), ("a/./b", "a/b"), ("x:y", "x:y"), ("a\\b", "a\\b")],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["../x", "a/../../x", "a/..", "/etc/passwd", "", ".", "a\0b"])
def test_normalize_refuses_escapes(raw: str) -> None:
    with pytest.raises(UnsafePathError):
        normalize(raw)


def test_normalize_root_allows_the_workspace() -> None:
    assert normalize_root(".") == ""
    assert normalize_root("src/") == "src"


def test_non_utf8_names_round_trip() -> None:
    name = os.fsdecode(b"caf\xe9/x")
    assert os.fsencode(normalize(name)) == b"caf\xe9/x"


def test_ensure_inside_refuses_outward_symlinks(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    outside = tmp_path / "outside"
    (ws / "inner").mkdir(parents=True)
    outside.mkdir()
    (ws / "out").symlink_to(outside)
    (ws / "in").symlink_to(ws / "inner")
    assert ensure_inside(ws, "in/file") == ws / "in/file"
    with pytest.raises(UnsafePathError, match="symlink"):
        ensure_inside(ws, "out/file")
    with pytest.raises(UnsafePathError):
        ensure_inside(ws, "../ws/x")
