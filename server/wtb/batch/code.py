"""The workflow's Python objects on their way to a worker that does not have the workspace.

A worker on another machine has WTB but not the user's workspace: the workflow's files
reach it as blobs of the batch's starting snapshot and become the variant's workspace
directory. A graph given as a reference (``"rag.py:graph"``) is imported from there. A
graph, a node override or a state value given as a Python *object* is pickled by
reference to its module (``rag.retrieve``), and unpickling it needs that module, which
exists only once the workspace has been materialised and put on ``sys.path``.

So :func:`detach` moves those objects out of the task into one cloudpickled payload,
leaving plain data (ids, configs, snapshot ids) that unpickles anywhere WTB is
installed; :func:`attach` loads the payload inside the variant's workspace. Objects
from installed packages need those packages on the workers (``runtime_env``).
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
from pathlib import Path
from typing import Any

from wtb.batch.task import VariantTask
from wtb.batch.variants import Variant


def dumps(value: Any) -> bytes:
    """Ray's cloudpickle (functions of ``__main__`` by value, of modules by reference)."""
    from ray import cloudpickle

    data: bytes = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[no-untyped-call]
    return data


def detach(task: VariantTask) -> VariantTask:
    """The task with its variant, config and graph object moved into ``task.payload`` (driver side)."""
    graph = task.project.graph
    objects = {
        "variant": task.variant,
        "config": task.config,
        "graph": None if isinstance(graph, str) else graph,
    }
    payload = dumps(objects)
    project = task.project if isinstance(graph, str) else dataclasses.replace(task.project, graph=None)
    return dataclasses.replace(task, variant=Variant(task.variant.name), config={}, project=project, payload=payload)


def attach(task: VariantTask, workspace: Path) -> VariantTask:
    """The task as the driver built it, its objects loaded with ``workspace`` first on ``sys.path``."""
    if task.payload is None:
        return task
    root = str(workspace.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)  # removed again with the variant's modules (worker._forget_workspace)
    objects: dict[str, Any] = pickle.loads(task.payload)  # our own driver's bytes
    project = task.project
    if objects["graph"] is not None:
        project = dataclasses.replace(project, graph=objects["graph"])
    return dataclasses.replace(task, variant=objects["variant"], config=objects["config"], project=project,
                               payload=None)
