"""Find the workflows of a workspace without importing them.

Two sources, as a LangGraph user would expect: ``langgraph.json`` (the LangGraph CLI's
``"graphs": {"name": "./file.py:attr"}``) and ``[tool.wtb.workflows]`` in
``pyproject.toml`` (``name = "file.py:attr"`` or a table with ``graph = ...``);
``langgraph.json``'s ``env`` (a dotenv file or the variables) and its local ``dependencies``
(folders to import from) go with its graphs. Nothing
is imported here, so listing workflows is safe in an untrusted workspace and fast.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

from wtb.config import EnvironmentConfig, WorkflowProject
from wtb.errors import WorkflowLoadError


def discover(workspace: Path) -> dict[str, WorkflowProject]:
    """All workflows declared in the workspace, by name (``langgraph.json`` wins a tie)."""
    found = _from_pyproject(workspace / "pyproject.toml")
    found.update(_from_langgraph_json(workspace / "langgraph.json"))
    return found


def _from_langgraph_json(path: Path) -> dict[str, WorkflowProject]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkflowLoadError(f"{path} is not valid JSON: {exc}") from exc
    graphs = data.get("graphs", {}) if isinstance(data, dict) else {}
    environment = _environment(data.get("env") if isinstance(data, dict) else None, path)
    environment = dataclasses.replace(environment, python_path=_local_dependencies(data))
    return {
        name: WorkflowProject(name=name, graph=_reference(value, path), source=path, environment=environment)
        for name, value in graphs.items()
    }


def _local_dependencies(data: Any) -> list[str]:
    """``langgraph.json``'s ``dependencies`` that are folders of the project (``"."``, ``"./src"``),
    not packages to install (``"langchain_openai"``)."""
    dependencies = data.get("dependencies", []) if isinstance(data, dict) else []
    if not isinstance(dependencies, list):
        return []
    return [d for d in dependencies if isinstance(d, str) and d.startswith((".", "/"))]


def _environment(env: Any, origin: Path) -> EnvironmentConfig:
    """``langgraph.json``'s ``env``: a dotenv file's name, or the variables themselves."""
    if env is None:
        return EnvironmentConfig()
    if isinstance(env, str):
        return EnvironmentConfig(env_file=env)
    if isinstance(env, dict):
        return EnvironmentConfig(env_vars={str(name): str(value) for name, value in env.items()})
    raise WorkflowLoadError(f'{origin}: "env" must be a dotenv file\'s name or an object of variables, got {env!r}.')


def _from_pyproject(path: Path) -> dict[str, WorkflowProject]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkflowLoadError(f"{path} is not valid TOML: {exc}") from exc
    workflows = data.get("tool", {}).get("wtb", {}).get("workflows", {})
    return {
        name: WorkflowProject(name=name, graph=_reference(value, path), source=path)
        for name, value in workflows.items()
    }


def _reference(value: Any, origin: Path) -> str:
    if isinstance(value, dict):
        value = value.get("graph") or value.get("path")
    if not isinstance(value, str):
        raise WorkflowLoadError(
            f"{origin}: a workflow entry must be a 'file.py:attr' or 'module:attr' string, got {value!r}."
        )
    return value
