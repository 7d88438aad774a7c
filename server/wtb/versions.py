"""The versions of WTB and of the libraries whose behaviour it depends on.

``wtb doctor`` shows them, and the test suite prints them with every failure: a new
release of one of these that breaks WTB must be named where it shows up.
"""

from __future__ import annotations

from importlib import metadata

#: The distributions whose behaviour WTB relies on, in the order they are shown.
KEY_LIBRARIES = (
    "wtb",
    "langgraph",
    "langgraph-checkpoint",
    "langgraph-checkpoint-sqlite",
    "watchdog",
    "pygls",
    "lsprotocol",
    "msgpack",
    "blake3",
    "pathspec",
    "ray",
)


def library_versions() -> dict[str, str | None]:
    """Each key library's installed version (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in KEY_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def describe(versions: dict[str, str | None]) -> str:
    """``langgraph 1.2.24, watchdog 7.1.1, ray (not installed)``."""
    return ", ".join(f"{name} {version or '(not installed)'}" for name, version in versions.items())
