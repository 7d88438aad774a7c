"""Actors kept warm between batches, so the next batch does not pay for starting them.

Starting an actor means a Python process importing LangGraph and WTB: one to three
seconds on a small machine, as long as many variants take. A finished batch therefore
parks its healthy actors here, keyed by their resource shape, for ``WARM_S`` seconds; the
next batch of the same shape takes them. Parked actors hold their Ray resources, so a
batch of another shape first evicts them, and a timer kills them when unused. A parked
actor whose Ray is gone (``ray.shutdown()``) fails the health check and is dropped.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

WARM_S = 60.0
PING_TIMEOUT_S = 5.0

Parked = tuple[Any, str]  # (actor handle, label)

_lock = threading.Lock()
_parked: dict[str, list[Parked]] = {}
_generation = 0


def shape_key(options: dict[str, Any]) -> str:
    return json.dumps(options, sort_keys=True, default=repr)


def take(key: str, count: int, kill: Callable[[Any, str], None]) -> list[Parked]:
    """Up to ``count`` live parked actors of shape ``key``; parked actors of other shapes are killed."""
    with _lock:
        others = [parked for other, actors in _parked.items() if other != key for parked in actors]
        mine = _parked.pop(key, [])
        _parked.clear()
        spare = mine[count:]
        mine = mine[:count]
    for actor, label in others + spare:
        kill(actor, label)
    return _alive(mine, kill)


def park(key: str, actors: list[Parked], kill: Callable[[Any, str], None], warm_s: float = WARM_S) -> None:
    """Keep ``actors`` for the next batch of this shape; kill them if none comes within ``warm_s``."""
    global _generation
    if not actors:
        return
    with _lock:
        _generation += 1
        generation = _generation
        _parked.setdefault(key, []).extend(actors)
    timer = threading.Timer(warm_s, _expire, args=(generation, kill))
    timer.daemon = True
    timer.start()


def clear(kill: Callable[[Any, str], None] | None = None) -> int:
    """Kill every parked actor now (``RayBatchTestRunner.shutdown``); returns how many."""
    with _lock:
        actors = [parked for group in _parked.values() for parked in group]
        _parked.clear()
    for actor, label in actors:
        if kill is not None:
            kill(actor, label)
        else:
            _kill_quietly(actor)
    return len(actors)


def _expire(generation: int, kill: Callable[[Any, str], None]) -> None:
    """Kill what is still parked if nothing was parked or taken since this timer started."""
    with _lock:
        if generation != _generation:
            return
        actors = [parked for group in _parked.values() for parked in group]
        _parked.clear()
    for actor, label in actors:
        kill(actor, label)


def _alive(actors: list[Parked], kill: Callable[[Any, str], None]) -> list[Parked]:
    if not actors:
        return []
    import ray

    alive = []
    pings = []
    for actor, label in actors:
        try:
            pings.append((actor, label, actor.info.remote()))
        except Exception:
            kill(actor, label)
    for actor, label, ping in pings:
        try:
            ray.get(ping, timeout=PING_TIMEOUT_S)
            alive.append((actor, label))
        except Exception:
            kill(actor, label)
    return alive


def _kill_quietly(actor: Any) -> None:
    import ray

    with contextlib.suppress(Exception):
        ray.kill(actor, no_restart=True)
