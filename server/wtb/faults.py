"""Fault-injection points: one place where tests make WTB's own code misbehave.

Product code asks :func:`hit` at the few moments where a test needs a fault that the
real world makes hard to arrange on demand (a watcher's cookie event lost, a crash in
the middle of a rollback). In production :func:`hit` is this no-op; a test replaces it
(``monkeypatch.setattr(wtb.faults, "hit", ...)``), so no environment variable or test
flag runs through the product's logic.
"""

from __future__ import annotations


def hit(point: str) -> bool:
    """Whether the fault named ``point`` happens now: never, outside tests."""
    return False
