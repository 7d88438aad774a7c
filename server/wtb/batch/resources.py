"""Per-node resources → the Ray resource request of the actors that run the variants.

A variant runs all its nodes inside one actor, next to its workspace directory (a node
reads the files the previous node wrote). So the actor asks Ray for what its most
demanding node needs: the maximum, per resource, over ``node_resources``. Running a
node as a separate Ray task would need the workspace on that task's machine too; the
actor already is the unit Ray places.

Ray never fails a request no node can satisfy: the actor just stays pending. We check
the request against every alive node's total resources before submitting anything and
raise :class:`ResourceUnavailableError` naming the nodes that asked too much.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wtb.batch.errors import InvalidVariantError, ResourceUnavailableError
from wtb.config import NodeResourceConfig
from wtb.errors import InvalidArgumentError
from wtb.sizes import parse_size


def parse_memory(value: str | int | float | None) -> int | None:
    """``"2GB"`` → bytes (binary units: 1 GB = 1024³ bytes, as Ray reports memory)."""
    if value is None:
        return None
    try:
        return parse_size(value, "Memory")
    except InvalidArgumentError as exc:
        raise InvalidVariantError(str(exc)) from None


@dataclass(frozen=True)
class ResourceRequest:
    """What one actor asks Ray for; ``by_node`` remembers which node set each maximum."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory: int | None = None
    explicit: bool = False
    by_node: tuple[tuple[str, str], ...] = ()

    def ray_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"num_cpus": self.num_cpus}
        if self.num_gpus:
            options["num_gpus"] = self.num_gpus
        if self.memory:
            options["memory"] = self.memory
        return options

    def describe(self) -> str:
        parts = [f"num_cpus={self.num_cpus:g}"]
        if self.num_gpus:
            parts.append(f"num_gpus={self.num_gpus:g}")
        if self.memory:
            parts.append(f"memory={_human_bytes(self.memory)}")
        return ", ".join(parts)


def actor_request(
    node_resources: Mapping[str, NodeResourceConfig], cluster_cpus: float, pool_size: int | None
) -> ResourceRequest:
    """The per-actor request: the maximum over the nodes' configs.

    Without any node configuration an actor asks for one CPU, or for a fair share of
    the cluster's CPUs when the caller asked for more parallel variants than there are
    CPUs (I/O-bound variants, such as model calls, gain from that).
    """
    if not node_resources:
        cpus = 1.0
        if pool_size and cluster_cpus and pool_size > cluster_cpus:
            cpus = max(math.floor(cluster_cpus / pool_size * 10_000) / 10_000, 0.0001)
        return ResourceRequest(num_cpus=cpus)
    cpus, gpus, memory = 0.0, 0.0, 0
    owners: dict[str, str] = {}
    for node, config in node_resources.items():
        if not isinstance(config, NodeResourceConfig):
            raise InvalidVariantError(
                f"node_resources[{node!r}] is a {type(config).__name__}, not a NodeResourceConfig."
            )
        node_memory = parse_memory(config.memory) or 0
        if config.num_cpus < 0 or config.num_gpus < 0:
            raise InvalidVariantError(f"node_resources[{node!r}] asks for a negative amount.")
        if config.num_cpus > cpus:
            cpus, owners["CPU"] = float(config.num_cpus), node
        if config.num_gpus > gpus:
            gpus, owners["GPU"] = float(config.num_gpus), node
        if node_memory > memory:
            memory, owners["memory"] = node_memory, node
    return ResourceRequest(
        num_cpus=cpus,
        num_gpus=gpus,
        memory=memory or None,
        explicit=True,
        by_node=tuple(sorted(owners.items())),
    )


def check_feasible(request: ResourceRequest, nodes: Iterable[Mapping[str, Any]]) -> None:
    """Raise unless one alive node's *total* resources cover the whole request."""
    wanted = {"CPU": request.num_cpus, "GPU": request.num_gpus, "memory": float(request.memory or 0)}
    wanted = {key: value for key, value in wanted.items() if value > 0}
    totals = [dict(node.get("Resources", {})) for node in nodes if node.get("Alive", True)]
    if any(all(total.get(key, 0.0) >= value for key, value in wanted.items()) for total in totals):
        return
    owners = dict(request.by_node)
    short = [key for key in wanted if not any(total.get(key, 0.0) >= wanted[key] for total in totals)]
    short = short or list(wanted)
    largest = {key: max((total.get(key, 0.0) for total in totals), default=0.0) for key in wanted}
    details = "; ".join(
        f"{_label(key)} {_amount(key, wanted[key])} (asked by node {owners[key]!r})"
        if key in owners
        else f"{_label(key)} {_amount(key, wanted[key])}"
        for key in short
    )
    available = ", ".join(f"{_label(key)} {_amount(key, value)}" for key, value in largest.items())
    raise ResourceUnavailableError(
        f"No node of the Ray cluster can run these variants: they need {details}, but the largest "
        f"node offers {available}. Lower ExecutionConfig.node_resources or add a bigger node."
    )


def _label(key: str) -> str:
    return {"CPU": "num_cpus", "GPU": "num_gpus"}.get(key, key)


def _amount(key: str, value: float) -> str:
    return _human_bytes(int(value)) if key == "memory" else f"{value:g}"


def _human_bytes(count: int) -> str:
    for unit, size in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.3g}{unit}"
    return f"{count}B"
