"""The environment variables a workflow's code sees: ``langgraph.json``'s ``env`` and
:class:`~wtb.config.EnvironmentConfig`.

LangGraph users keep their API keys in a ``.env`` file that ``langgraph.json`` names
(``"env": ".env"``); a module that builds its chat model at import time fails without
them. So the variables are in ``os.environ`` while WTB imports the workflow and while it
runs. A dotenv file's variables fill in the names the process environment does not set
(python-dotenv's ``load_dotenv`` rule: ``OPENAI_API_KEY=… wtb run`` still wins);
``env_vars`` (an inline ``"env": {…}`` or the SDK's) are set over them. What was there is
put back afterwards, as a workflow's SDK caller runs other code in the same process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from wtb.config import EnvironmentConfig
from wtb.errors import WorkflowLoadError

_lock = threading.RLock()  # os.environ is the process's: one block changes it at a time


def variables(environment: EnvironmentConfig, workspace: Path) -> dict[str, str]:
    """The variables to set for a workflow of ``workspace``."""
    found: dict[str, str] = {}
    if environment.env_file:
        found = {name: value for name, value in _read_env_file(workspace, environment.env_file).items()
                 if name not in os.environ}
    found.update({str(name): str(value) for name, value in environment.env_vars.items()})
    return found


def _read_env_file(workspace: Path, name: str) -> dict[str, str]:
    from dotenv import dotenv_values

    path = workspace / name
    if not path.is_file():
        raise WorkflowLoadError(
            f"The env file {name!r} (langgraph.json's \"env\") is not in {workspace}; create it or remove the entry."
        )
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


@contextmanager
def applied(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` set in ``os.environ`` for the block; each name's previous value (or its
    absence) restored after."""
    if not values:
        yield
        return
    with _lock:
        previous = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
