"""What a batch gives back: per-variant outcomes and how the variants differ.

The comparison is the point of an A/B batch, so it is computed once, here, from plain
data (final states and the hashes of the files each variant produced) and rendered two
ways: :meth:`BatchResult.table` for people and :meth:`BatchResult.to_dict` /
:meth:`BatchResult.to_json` for scripts, the CLI's ``--json`` and ``batch_tests.result``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from wtb.models import ExecutionError, to_jsonable

_MISSING = object()


@dataclass
class VariantResult:
    """One variant's outcome. ``files``: the paths it created, changed (hash) or deleted (None).

    ``node_id``: the Ray node the variant ran on (its last attempt); ``worker``: more of
    where (``host``, ``pid``, ``cwd``). ``attempts``: how often it was started (more than
    once when a node was lost under it), ``lost``: why each attempt that lost its node ended.
    ``shipped``: bytes sent to its worker (``task``) and back (``result``).
    """

    name: str
    execution_id: str
    status: str
    state: dict[str, Any] = field(default_factory=dict)
    error: ExecutionError | None = None
    duration_s: float | None = None
    node_timings: dict[str, float] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)
    checkpoints: int = 0
    spec: dict[str, Any] = field(default_factory=dict)
    node_id: str | None = None
    worker: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    lost: list[str] = field(default_factory=list)
    shipped: dict[str, int] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """The failure in one line, naming the node when known."""
        if self.error is None:
            return None
        where = f" in node {self.error.node!r}" if self.error.node else ""
        first = self.error.message.splitlines()[0] if self.error.message else ""
        return f"{self.error.type}{where}: {first}"


@dataclass
class Comparison:
    """State keys and output files that differ between the variants that finished.

    ``state``: key → {variant: value}; ``files``: path → {variant: hash or None}. A path a
    variant did not touch counts with the hash it had at the batch's start.
    """

    variants: list[str] = field(default_factory=list)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    same_state: list[str] = field(default_factory=list)
    files: dict[str, dict[str, str | None]] = field(default_factory=dict)
    same_files: list[str] = field(default_factory=list)


def compare(results: list[VariantResult], base_files: dict[str, str | None]) -> Comparison:
    """Compare the variants that completed (or paused); failed ones have partial state."""
    finished = [r for r in results if r.status in ("completed", "paused")]
    comparison = Comparison(variants=[r.name for r in finished])
    if not finished:
        return comparison
    keys = sorted({key for r in finished for key in r.state if not key.startswith("_")})
    for key in keys:
        values = {r.name: r.state.get(key, _MISSING) for r in finished}
        if _all_equal(list(values.values())):
            comparison.same_state.append(key)
        else:
            comparison.state[key] = {name: (None if v is _MISSING else v) for name, v in values.items()}
    paths = sorted({path for r in finished for path in r.files})
    for path in paths:
        hashes = {r.name: r.files.get(path, base_files.get(path)) for r in finished}
        if len(set(hashes.values())) == 1:
            comparison.same_files.append(path)
        else:
            comparison.files[path] = hashes
    return comparison


def _all_equal(values: list[Any]) -> bool:
    first = values[0]
    try:
        return all(v == first for v in values[1:])
    except Exception:  # values whose __eq__ raises (arrays): compare their JSON form
        dumped = [json.dumps(to_jsonable(v), sort_keys=True) for v in values]
        return len(set(dumped)) == 1


@dataclass
class BatchResult:
    """A batch's variants, their outcomes and the comparison between them."""

    batch_id: str
    project: str
    status: str
    variants: list[VariantResult]
    created_at: float
    finished_at: float | None = None
    from_checkpoint: dict[str, str] | None = None
    pool_size: int = 0
    warm_actors: int = 0
    base_files: dict[str, str | None] = field(default_factory=dict)
    comparison: Comparison = field(default_factory=Comparison)
    shipped: dict[str, int] = field(default_factory=dict)

    @property
    def nodes(self) -> list[str]:
        """The Ray nodes the variants ran on, in order of first use."""
        return list(dict.fromkeys(r.node_id for r in self.variants if r.node_id))

    @property
    def duration_s(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.created_at

    def __getitem__(self, name: str) -> VariantResult:
        for result in self.variants:
            if result.name == name:
                return result
        raise KeyError(f"No variant {name!r} in batch {self.batch_id}.")

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.variants:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, the shape stored in ``batch_tests.result`` and printed by ``--json``."""
        data: dict[str, Any] = to_jsonable(
            {
                "batch_id": self.batch_id,
                "project": self.project,
                "status": self.status,
                "created_at": self.created_at,
                "finished_at": self.finished_at,
                "duration_s": self.duration_s,
                "pool_size": self.pool_size,
                "warm_actors": self.warm_actors,
                "from_checkpoint": self.from_checkpoint,
                "counts": self.counts(),
                "base_files": self.base_files,
                "variants": [_variant_dict(r) for r in self.variants],
                "comparison": self.comparison,
                "shipped": self.shipped,
            }
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchResult:
        """The inverse of :meth:`to_dict` (states come back as their JSON form)."""
        variants = [
            VariantResult(
                name=v["name"],
                execution_id=v["execution_id"],
                status=v["status"],
                state=v.get("state") or {},
                error=ExecutionError(**v["error"]) if v.get("error") else None,
                duration_s=v.get("duration_s"),
                node_timings=v.get("node_timings") or {},
                files=v.get("files") or {},
                checkpoints=v.get("checkpoints", 0),
                spec=v.get("spec") or {},
                node_id=v.get("node_id"),
                worker=v.get("worker") or {},
                attempts=v.get("attempts", 1),
                lost=v.get("lost") or [],
                shipped=v.get("shipped") or {},
            )
            for v in data.get("variants", [])
        ]
        comparison = Comparison(**data["comparison"]) if data.get("comparison") else Comparison()
        return cls(
            batch_id=data["batch_id"],
            project=data["project"],
            status=data["status"],
            variants=variants,
            created_at=data["created_at"],
            finished_at=data.get("finished_at"),
            from_checkpoint=data.get("from_checkpoint"),
            pool_size=data.get("pool_size", 0),
            warm_actors=data.get("warm_actors", 0),
            base_files=data.get("base_files") or {},
            comparison=comparison,
            shipped=data.get("shipped") or {},
        )

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=repr)

    def table(self, width: int = 28) -> str:
        """The variants, the state keys and files that differ, and per-node timings, as text."""
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        took = f"{self.duration_s:.2f}s" if self.duration_s is not None else "-"
        lines = [f"Batch {self.batch_id}  {self.project}  {self.status}  ({counts}; {took}, pool {self.pool_size})"]
        header = ["variant", "status", "execution", "time", "checkpoints", "error"]
        rows = [
            [r.name, r.status, r.execution_id, _seconds(r.duration_s), str(r.checkpoints), r.reason or ""]
            for r in self.variants
        ]
        if len(self.nodes) > 1 or any(r.attempts > 1 for r in self.variants):  # where it ran matters
            header.insert(4, "node")
            for row, r in zip(rows, self.variants, strict=True):
                row.insert(4, (r.node_id or "-")[:8] + (f" (try {r.attempts})" if r.attempts > 1 else ""))
        lines += ["", *_grid(header, rows, 80)]
        names = self.comparison.variants
        if names:
            lines += ["", "State keys that differ:" if self.comparison.state else "State: no key differs."]
            if self.comparison.state:
                state_rows = [[key, *(_short(values[n], width) for n in names)]
                              for key, values in self.comparison.state.items()]
                lines += _grid(["key", *names], state_rows, width)
            if self.comparison.same_state:
                lines.append("Same in all: " + ", ".join(self.comparison.same_state))
            lines += ["", "Files that differ:" if self.comparison.files else "Files: no output file differs."]
            if self.comparison.files:
                file_rows = [[path, *(_hash(hashes[n]) for n in names)]
                             for path, hashes in self.comparison.files.items()]
                lines += _grid(["path", *names], file_rows, width)
            if self.comparison.same_files:
                lines.append("Same in all: " + ", ".join(self.comparison.same_files))
        nodes = list(dict.fromkeys(n for r in self.variants for n in r.node_timings))
        if nodes:
            timed = [r for r in self.variants if r.node_timings]
            timing_rows = [[node, *(_seconds(r.node_timings.get(node)) for r in timed)] for node in nodes]
            lines += ["", "Node timings:", *_grid(["node", *(r.name for r in timed)], timing_rows, width)]
        return "\n".join(lines)


def _variant_dict(result: VariantResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "execution_id": result.execution_id,
        "status": result.status,
        "reason": result.reason,
        "error": result.error,
        "duration_s": result.duration_s,
        "node_timings": result.node_timings,
        "files": result.files,
        "checkpoints": result.checkpoints,
        "state": result.state,
        "spec": result.spec,
        "node_id": result.node_id,
        "worker": result.worker,
        "attempts": result.attempts,
        "lost": result.lost,
        "shipped": result.shipped,
    }


def _grid(header: list[str], rows: list[list[str]], limit: int) -> list[str]:
    cells = [[_clip(c, limit) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return lines


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(to_jsonable(value), default=repr)
    return _clip(text, limit)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hash(value: str | None) -> str:
    return "(deleted)" if value is None else value[:10]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"
