"""Variants: what differs between the runs of a batch, and the matrix helper that builds them.

A variant is data, not code, so that it can be written in a JSON file, shown in a table,
stored in ``batch_tests`` and shipped to a Ray actor on another machine. Node overrides
are therefore references (``"file.py:function"``, resolved in the variant's own
workspace); a callable is accepted from Python but then has to be importable by the
workers, as anything Ray pickles.

The JSON spelling follows the protocol (``initialState``, ``nodeOverrides``) and
Python's (``initial_state``); both are accepted everywhere.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wtb.batch.errors import InvalidVariantError

_ALIASES = {
    "name": "name",
    "initial_state": "initial_state",
    "initialState": "initial_state",
    "config": "config",
    "state_updates": "state_updates",
    "stateUpdates": "state_updates",
    "node_overrides": "node_overrides",
    "nodeOverrides": "node_overrides",
}

Override = str | Callable[..., Any]


@dataclass(frozen=True)
class Variant:
    """One run of a batch.

    ``config`` is LangGraph's ``configurable`` mapping (``{"configurable": {...}}`` is
    accepted too). ``state_updates`` apply when the batch starts from a checkpoint.
    ``node_overrides`` maps a node name to the callable that replaces it.
    """

    name: str
    initial_state: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    state_updates: dict[str, Any] = field(default_factory=dict)
    node_overrides: dict[str, Override] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (a callable override is shown by its qualified name)."""
        return {
            "name": self.name,
            "initial_state": self.initial_state,
            "config": self.config,
            "state_updates": self.state_updates,
            "node_overrides": {k: _override_text(v) for k, v in self.node_overrides.items()},
        }


def configurable(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """LangGraph's ``{"configurable": {...}}`` or the bare mapping → the bare mapping."""
    if not config:
        return {}
    if "configurable" in config and isinstance(config["configurable"], Mapping):
        return dict(config["configurable"])
    return dict(config)


def coerce_variants(items: Iterable[Variant | Mapping[str, Any]]) -> list[Variant]:
    """Variants from records or dicts; a dict that is not a variant is an initial state.

    Unnamed variants are called ``v1``, ``v2``… by position; names must be unique because
    they label the rows of the comparison.
    """
    variants: list[Variant] = []
    for position, item in enumerate(items, start=1):
        variants.append(item if isinstance(item, Variant) else _from_mapping(item, position))
    if not variants:
        raise InvalidVariantError("A batch needs at least one variant.")
    seen: set[str] = set()
    for variant in variants:
        if variant.name in seen:
            raise InvalidVariantError(f"Two variants are named {variant.name!r}; variant names must be unique.")
        seen.add(variant.name)
    return variants


def _from_mapping(item: Mapping[str, Any], position: int) -> Variant:
    if not isinstance(item, Mapping):
        raise InvalidVariantError(f"Variant {position} is a {type(item).__name__}, not an object.")
    if not item or not set(item) <= set(_ALIASES):
        return Variant(name=f"v{position}", initial_state=dict(item))
    fields = {_ALIASES[key]: value for key, value in item.items()}
    for key in ("initial_state", "config", "state_updates", "node_overrides"):
        value = fields.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise InvalidVariantError(f"Variant {position}: {key!r} must be an object, not {type(value).__name__}.")
    name = fields.get("name") or f"v{position}"
    if not isinstance(name, str):
        raise InvalidVariantError(f"Variant {position}: 'name' must be a string.")
    overrides = dict(fields.get("node_overrides") or {})
    for node, target in overrides.items():
        if not (isinstance(target, str) and ":" in target) and not callable(target):
            raise InvalidVariantError(
                f"Variant {name!r}: the override of node {node!r} must be a 'file.py:function' reference."
            )
    return Variant(
        name=name,
        initial_state=dict(fields.get("initial_state") or {}),
        config=configurable(fields.get("config")),
        state_updates=dict(fields.get("state_updates") or {}),
        node_overrides=overrides,
    )


def matrix(
    states: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None = None,
    configs: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None = None,
    node_overrides: Sequence[Mapping[str, Override]] | Mapping[str, Mapping[str, Override]] | None = None,
    *,
    state_updates: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Variant]:
    """Every combination of the given axes, as promptfoo's test matrix builds them.

    Each axis is a list (members named ``s1``, ``c1``, ``o1``, ``u1``… by position) or a
    mapping of names to members. A variant's name joins its members' names with ``+``,
    leaving out axes that have a single member, so ``matrix(states={"q1": ..., "q2": ...},
    configs=[{"top_k": 2}])`` gives ``q1`` and ``q2``.
    """
    axes = [
        ("initial_state", _named(states, "s")),
        ("state_updates", _named(state_updates, "u")),
        ("config", _named(configs, "c")),
        ("node_overrides", _named(node_overrides, "o")),
    ]
    used = [(key, members) for key, members in axes if members]
    if not used:
        raise InvalidVariantError("matrix() needs at least one of states, configs, node_overrides, state_updates.")
    variants = []
    for combo in itertools.product(*(members for _, members in used)):
        parts = [name for (_, members), (name, _) in zip(used, combo, strict=True) if len(members) > 1]
        fields: dict[str, Any] = {key: dict(value) for (key, _), (_, value) in zip(used, combo, strict=True)}
        fields["config"] = configurable(fields.get("config"))
        variants.append(Variant(name="+".join(parts) or combo[0][0], **fields))
    return coerce_variants(variants)


def _named(axis: Any, prefix: str) -> list[tuple[str, Mapping[str, Any]]]:
    if axis is None:
        return []
    if isinstance(axis, Mapping):
        return [(str(name), value) for name, value in axis.items()]
    return [(f"{prefix}{i}", value) for i, value in enumerate(axis, start=1)]


def parse_variants(data: Any) -> list[Variant]:
    """Variants from JSON: a list, ``{"variants": [...]}``, ``{"matrix": {...}}`` or both."""
    if isinstance(data, list):
        return coerce_variants(data)
    if not isinstance(data, Mapping) or not ({"variants", "matrix"} & set(data)):
        raise InvalidVariantError(
            'Variants must be a JSON array of variants, or an object with "variants" and/or "matrix".'
        )
    variants = coerce_variants(data["variants"]) if data.get("variants") else []
    spec = data.get("matrix")
    if spec:
        if not isinstance(spec, Mapping):
            raise InvalidVariantError('"matrix" must be an object like {"states": [...], "configs": [...]}.')
        unknown = set(spec) - {"states", "configs", "node_overrides", "nodeOverrides", "state_updates", "stateUpdates"}
        if unknown:
            raise InvalidVariantError(f'"matrix" has unknown axes: {", ".join(sorted(unknown))}.')
        variants += matrix(
            spec.get("states"),
            spec.get("configs"),
            spec.get("node_overrides", spec.get("nodeOverrides")),
            state_updates=spec.get("state_updates", spec.get("stateUpdates")),
        )
    return coerce_variants(variants)


def load_variants_file(path: str | Path) -> list[Variant]:
    """Read a variants file (JSON) as :func:`parse_variants` understands it."""
    file = Path(path)
    if not file.is_file():
        raise InvalidVariantError(f"Variants file {file} does not exist.")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InvalidVariantError(f"Variants file {file} is not valid JSON: {exc}") from exc
    return parse_variants(data)


def _override_text(value: Override) -> str:
    if isinstance(value, str):
        return value
    return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', repr(value))}"
