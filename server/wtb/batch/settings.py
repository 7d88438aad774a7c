"""What a workspace declares for its batches: the Ray cluster, retries and the workers' runtime_env.

Workflows declared in ``langgraph.json`` or ``pyproject.toml`` have no
:class:`~wtb.config.ExecutionConfig` of their own, so a workspace says in its
``pyproject.toml`` what its batches need on a cluster::

    [tool.wtb.batch]
    address = "ray://head:10001"      # or "auto", or host:port; RAY_ADDRESS otherwise
    max_retries = 2                    # runs of a variant whose node was lost, after the first
    runtime_env = { pip = ["rank-bm25==0.2.2"], env_vars = { MODEL = "small" } }

    [tool.wtb.workflows.rag]
    graph = "rag.py:graph"
    runtime_env = { env_vars = { TOP_K = "3" } }   # this workflow only, over the table above

The runtime_env is Ray's (``pip``, ``uv``, ``env_vars``, ``py_modules``, ``conda``…); it is
given to the batch's actors, not to the whole Ray job, so projects with different needs
share one connection. Precedence, lowest first: ``[tool.wtb.batch]``, the workflow's
table, ``ExecutionConfig.runtime_env``; ``env_vars`` merge by name and ``pip`` lists add up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wtb.batch.errors import InvalidVariantError


@dataclass(frozen=True)
class BatchSettings:
    """A workspace's ``[tool.wtb.batch]`` for one workflow."""

    address: str | None = None
    max_retries: int | None = None
    runtime_env: dict[str, Any] = field(default_factory=dict)


def workspace_settings(workspace: Path, project: str) -> BatchSettings:
    """``[tool.wtb.batch]`` of ``workspace/pyproject.toml`` with ``project``'s own runtime_env over it."""
    path = workspace / "pyproject.toml"
    if not path.is_file():
        return BatchSettings()
    try:
        tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("wtb", {})
    except (OSError, ValueError) as exc:
        raise InvalidVariantError(f"{path} is not valid TOML: {exc}") from exc
    batch = tool.get("batch", {})
    workflow = tool.get("workflows", {}).get(project, {})
    if not isinstance(batch, Mapping) or not isinstance(workflow, Mapping | str):
        raise InvalidVariantError(f"{path}: [tool.wtb.batch] and [tool.wtb.workflows.{project}] must be tables.")
    address = batch.get("address")
    retries = batch.get("max_retries")
    if address is not None and not isinstance(address, str):
        raise InvalidVariantError(f"{path}: [tool.wtb.batch] address must be a string.")
    if retries is not None and (not isinstance(retries, int) or retries < 0):
        raise InvalidVariantError(f"{path}: [tool.wtb.batch] max_retries must be a whole number ≥ 0.")
    envs = [batch.get("runtime_env", {}), workflow.get("runtime_env", {}) if isinstance(workflow, Mapping) else {}]
    for env in envs:
        if not isinstance(env, Mapping):
            raise InvalidVariantError(f"{path}: runtime_env must be a table, like {{ pip = [...] }}.")
    return BatchSettings(address or None, retries, merge_runtime_env(*envs))


def merge_runtime_env(*envs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Later envs win; ``env_vars`` merge by name, ``pip`` lists are concatenated (once each)."""
    merged: dict[str, Any] = {}
    for env in envs:
        for key, value in (env or {}).items():
            before = merged.get(key)
            if key == "env_vars" and isinstance(before, Mapping) and isinstance(value, Mapping):
                merged[key] = {**before, **value}
            elif key == "pip" and isinstance(before, list) and isinstance(value, list | tuple):
                merged[key] = list(dict.fromkeys([*before, *value]))
            else:
                merged[key] = _copy(value)
    if "env_vars" in merged:  # Ray takes strings only
        merged["env_vars"] = {str(k): str(v) for k, v in merged["env_vars"].items()}
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    return list(value) if isinstance(value, list | tuple) else value
