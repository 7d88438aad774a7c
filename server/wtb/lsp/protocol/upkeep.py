"""Params and results of ``wtb/storageStats`` and ``wtb/doctor``: the data directory's
storage and the daemon's health (``wtb.lsp.queries`` answers them).
"""

from __future__ import annotations

import attrs


@attrs.define(kw_only=True)
class StorageStatsParams:
    pass


@attrs.define(kw_only=True)
class DoctorParams:
    """``measure_data_dir``: false skips walking the data directory for its size (``dataDirBytes`` 0):
    what the editor's status item asks after every run, when only the watcher matters."""

    measure_data_dir: bool = True


@attrs.define(kw_only=True)
class WatcherInfo:
    """``mode``: "inotify", "watchdog" or "polling" (trusted), "walking" (``reason`` says why) or "off"."""

    mode: str
    reason: str = ""
    round_trip_ms: float | None = None
    barrier_timeouts: int = 0


@attrs.define(kw_only=True)
class DoctorResult:
    """What ``wtb doctor`` prints: versions, the file watcher after a live barrier, the data dir, Ray."""

    python: str
    libraries: dict[str, str | None]
    watcher: WatcherInfo
    workspace: str
    data_dir: str
    data_dir_bytes: int
    ray_importable: bool
    problems: list[str] = attrs.Factory(list)


@attrs.define(kw_only=True)
class StorageStatsResult:
    blobs: int
    bytes_stored: int
    bytes_referenced: int
    snapshots: int
    dedup_ratio: float
    per_project: dict[str, dict[str, int]] = attrs.Factory(dict)
    #: checkpoint state stored by content: values, lists, bytesStored, bytesReferenced, checkpoints, dedupRatio
    state: dict[str, float] = attrs.Factory(dict)
