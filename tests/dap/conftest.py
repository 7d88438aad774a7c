"""Fixtures: a DAP client on the real adapter process, closed at the end of the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.dap.client import DapClient

REVISER_INPUT = {"topic": "Ray", "checklist": ["actors", "scheduling"], "max_rounds": 5}


@pytest.fixture
def dap() -> Iterator[Callable[[Path], DapClient]]:
    started: list[DapClient] = []

    def start(cwd: Path) -> DapClient:
        client = DapClient(cwd)
        started.append(client)
        return client

    yield start
    for client in started:
        client.close()


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` holding ``text`` (exactly one)."""
    lines = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(lines) == 1, (text, lines)
    return lines[0]
