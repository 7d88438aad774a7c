"""Tracking rules: defaults, .gitignore/.wtbignore, nested files, data dir, scopes, sizes."""

from __future__ import annotations

from pathlib import Path

import pathspec
import pytest

from wtb.config import FileTrackingConfig
from wtb.filetrack.errors import InvalidArgumentError
from wtb.filetrack.ignore import Rules, _Matcher, parse_size


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50MB", 50 << 20), ("512KB", 512 << 10), ("1.5GiB", int(1.5 * (1 << 30))), ("10", 10), (123, 123),
     (" 2 mb ", 2 << 20), ("7B", 7)],
)
def test_parse_size(value: str | int, expected: int) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize("value", ["", "MB", "5 parsecs", "-1", -5, True])
def test_parse_size_rejects_nonsense(value: str | int) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_size(value)


def test_compiled_matcher_agrees_with_pathspec() -> None:
    lines = ["*.pyc", "build/", "/top.txt", "docs/*.md", "a/**/b", "!keep.pyc", "logs", "!logs/keep", "# c", ""]
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    matcher = _Matcher(lines)
    paths = ["x.pyc", "d/keep.pyc", "keep.pyc", "build/", "src/build/", "build", "top.txt", "sub/top.txt",
             "docs/a.md", "docs/sub/a.md", "a/b", "a/x/y/b", "logs", "logs/", "logs/keep", "src/main.py"]
    for path in paths:
        assert (matcher.decide(path) is True) == spec.match_file(path), path


def test_root_rules(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp_path / ".wtbignore").write_text("!keep.log\nsecret.txt\n")
    rules = Rules(tmp_path, FileTrackingConfig(ignore=["*.tmp"]), tmp_path / "state")
    excluded = {
        p: rules.excluded_path(p, d)
        for p, d in [("a.log", False), ("keep.log", False), ("build", True), ("src/build", True),
                     ("secret.txt", False), ("x.tmp", False), ("state", True), ("state/x.db", False),
                     (".venv", True), ("node_modules", True), ("pkg/__pycache__/m.pyc", False),
                     ("src/main.py", False), (".wtbtmp-123", False), ("dir/.wtbtmp-9", False),
                     (".wtbcookie-1", False), (".wtb", True)]
    }
    assert excluded == {
        "a.log": True, "keep.log": False, "build": True, "src/build": True, "secret.txt": True,
        "x.tmp": True, "state": True, "state/x.db": True, ".venv": True, "node_modules": True,
        "pkg/__pycache__/m.pyc": True, "src/main.py": False, ".wtbtmp-123": True, "dir/.wtbtmp-9": True,
        ".wtbcookie-1": True, ".wtb": True,
    }


def test_nested_gitignore_applies_below_its_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("*.tmp\n/local.txt\n")
    rules = Rules(tmp_path, FileTrackingConfig(), None)
    assert rules.excluded_path("sub/a.tmp", False)
    assert rules.excluded_path("sub/deeper/a.tmp", False)
    assert rules.excluded_path("sub/local.txt", False)
    assert not rules.excluded_path("sub/deeper/local.txt", False)
    assert not rules.excluded_path("a.tmp", False)


def test_scopes_limit_tracking_to_config_paths(tmp_path: Path) -> None:
    rules = Rules(tmp_path, FileTrackingConfig(paths=["src/app", "notes.md"]), None)
    assert not rules.excluded_path("src/app/main.py", False)
    assert not rules.excluded("src", True)  # a folder on the way to a scope is entered
    assert rules.excluded("src/other.py", False)
    assert not rules.excluded("notes.md", False)
    assert rules.excluded("readme.md", False)


def test_data_dir_equal_to_workspace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        Rules(tmp_path, FileTrackingConfig(), tmp_path)
