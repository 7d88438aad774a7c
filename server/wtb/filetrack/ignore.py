"""Which workspace paths are tracked.

A path is excluded when it is WTB's own (the data directory, wherever it is; the
temporary files of a restore; barrier cookies), outside ``config.paths``, or matched
by the ignore patterns: :data:`~wtb.config.DEFAULT_IGNORES`, ``config.ignore``,
then the root ``.gitignore`` and ``.wtbignore`` (later lines win, so ``.wtbignore``
can re-include what ``.gitignore`` hides), and ``.gitignore``/``.wtbignore`` files in
subdirectories for the paths below them (deeper files win, as in git).

Patterns follow gitignore semantics through ``pathspec``; an excluded directory is
never entered, so a file below it cannot be re-included (git behaves the same).
Matching is the hot loop of a full walk, so each pattern list is compiled into a
single regular expression (pathspec's own loop costs ~14 µs a path; this ~1 µs).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

import pathspec

from wtb import sizes
from wtb.config import DEFAULT_IGNORES, FileTrackingConfig
from wtb.filetrack.errors import InvalidArgumentError
from wtb.filetrack.paths import normalize_root, relative_to

log = logging.getLogger(__name__)

TMP_PREFIX = ".wtbtmp-"
COOKIE_PREFIX = ".wtbcookie-"
IGNORE_FILES = (".gitignore", ".wtbignore")
_CACHED_DIRS = 4096  # directories (and paths) whose filter and verdict a Rules object keeps
#: Folders nested deeper than this below the root are not tracked (what is in them is not
#: content of a workflow's workspace but a planted or runaway tree): walking, watching and
#: comparing trees go one call deeper per level, and Python's stack holds about a thousand.
MAX_DEPTH = 256
_warned_deep: set[str] = set()  # roots already warned about (once a process each)

def parse_size(value: str | int) -> int:
    """Bytes from ``max_file_size`` (``50MB``/``512KB``/``1.5GiB``/``1024``)."""
    return sizes.parse_size(value, "max_file_size")


class _Matcher:
    """A gitignore pattern list as one regex whose first alternative is the last pattern.

    ``re`` takes the first alternative that matches, so listing the patterns in reverse
    makes "the last matching pattern decides" a single ``match`` call.

    Files get a second, smaller regex without the directory-only patterns (``build/``,
    most of the defaults): such a pattern matches a file only below a directory it
    matches, and callers ask about an entry only once its directories are known not to
    be excluded (a walk never enters an excluded one), so for files it can never decide.
    """

    def __init__(self, lines: Iterable[str]) -> None:
        patterns = [
            p for p in pathspec.GitIgnoreSpec.from_lines(list(lines)).patterns
            if p.include is not None and p.regex is not None
        ]
        self._include: dict[str, bool] = {}
        branches: list[tuple[str, bool]] = []
        for i in reversed(range(len(patterns))):
            name = f"p{i}"
            self._include[name] = bool(patterns[i].include)
            regex = patterns[i].regex
            assert regex is not None
            dir_only = regex.pattern.endswith(_DIR_ONLY_END)
            body = regex.pattern.replace("(?P<ps_d>", "(?:")
            branches.append((f"(?P<{name}>{body})", dir_only))
        self._dir_regex = _alternatives(b for b, _ in branches)
        self._file_regex = _alternatives(b for b, dir_only in branches if not dir_only)

    def decide(self, path: str) -> bool | None:
        """True: ignored; False: re-included by a ``!`` pattern; None: no pattern matches.

        ``path`` ends with ``/`` for a directory.
        """
        regex = self._dir_regex if path.endswith("/") else self._file_regex
        if regex is None:
            return None
        m = regex.match(path)
        if m is None or m.lastgroup is None:
            return None
        return self._include[m.lastgroup]


_DIR_ONLY_END = "(?P<ps_d>/)"  # how pathspec ends the regex of a pattern with a trailing slash


def _alternatives(branches: Iterable[str]) -> re.Pattern[str] | None:
    joined = "|".join(branches)
    return re.compile(joined) if joined else None


@functools.lru_cache(maxsize=256)
def _compile(lines: tuple[str, ...]) -> _Matcher:
    """Matchers are immutable; a full walk rebuilds its rules, so reuse compiled ones."""
    return _Matcher(lines)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape").splitlines()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return []


class Rules:
    """The tracking rules of one directory tree (a workspace or a restore target)."""

    def __init__(self, root: Path, config: FileTrackingConfig, data_dir: Path | None) -> None:
        self.root = root
        self.max_size = parse_size(config.max_file_size)
        self.data_rel = relative_to(root, data_dir) if data_dir is not None else None
        if self.data_rel == "":
            raise InvalidArgumentError(f"the data directory {data_dir} cannot be the workspace itself")
        scopes = tuple(normalize_root(p) for p in config.paths)
        self._scopes = None if not scopes or "" in scopes else scopes
        lines = [*DEFAULT_IGNORES, *config.ignore]
        for name in IGNORE_FILES:
            lines += _read_lines(root / name)
        self._root = _compile(tuple(lines))
        self._chains: dict[str, tuple[tuple[str, _Matcher], ...]] = {"": ()}
        # Per-directory caches for paths met one at a time (watcher events, dirty paths):
        # the ignore files a Rules object reads never change under it (it is rebuilt
        # when one does), so a directory's filter and verdict can be kept.
        self._filters: dict[str, Callable[[str, str, bool], bool]] = {}
        self._dirs: dict[str, bool] = {}
        self._paths: dict[tuple[str, bool], bool] = {}  # excluded_path's verdicts: a file is written many times

    def excluded(self, rel: str, is_dir: bool) -> bool:
        """Whether this entry is excluded, assuming its parent directories are not."""
        parent, _, name = rel.rpartition("/")
        check = self._filters.get(parent)
        if check is None:
            if len(self._filters) >= _CACHED_DIRS:
                self._filters.clear()
            check = self._filters[parent] = self.entry_filter(parent)
        return check(rel, name, is_dir)

    def entry_filter(
        self, directory: str, names: Collection[str] | None = None
    ) -> Callable[[str, str, bool], bool]:
        """``excluded`` specialised for the entries of one directory (a walk's hot loop).

        Everything that depends only on the directory (its nested ignore files, whether
        the data directory or a scope boundary can lie below it) is decided once here.
        """
        chain = self._chain(directory, names)
        top = directory == ""
        data = self.data_rel
        data_below = data is not None and (top or data.startswith(directory + "/"))
        data_prefix = f"{data}/"
        scoped = self._scopes is not None and not self._in_scope(directory + "/", False)
        root_decide = self._root.decide
        too_deep = not top and directory.count("/") + 2 > MAX_DEPTH  # its folders' depth

        def excluded(rel: str, name: str, is_dir: bool) -> bool:
            if name.startswith(TMP_PREFIX) or (top and name.startswith(COOKIE_PREFIX)):
                return True
            if is_dir and too_deep:
                self._warn_deep(rel)
                return True
            if data_below and (rel == data or rel.startswith(data_prefix)):
                return True
            if scoped and not self._in_scope(rel, is_dir):
                return True
            key = rel + "/" if is_dir else rel
            for base, matcher in chain:
                decision = matcher.decide(key[len(base) + 1 :])
                if decision is not None:
                    return decision
            return root_decide(key) is True

        return excluded

    def _warn_deep(self, rel: str) -> None:
        root = str(self.root)
        if root not in _warned_deep:
            _warned_deep.add(root)
            log.warning("%s: folders nested more than %d levels deep are not tracked (%s/...)", root, MAX_DEPTH,
                        rel[:120])

    def excluded_path(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` or any parent is excluded (for paths met outside a walk)."""
        key = (rel, is_dir)
        verdict = self._paths.get(key)
        if verdict is None:
            if len(self._paths) >= _CACHED_DIRS:
                self._paths.clear()
            parent = rel.rpartition("/")[0]
            verdict = (parent != "" and self._dir_excluded(parent)) or self.excluded(rel, is_dir)
            self._paths[key] = verdict
        return verdict

    def _dir_excluded(self, rel: str) -> bool:
        verdict = self._dirs.get(rel)
        if verdict is None:
            if len(self._dirs) >= _CACHED_DIRS:
                self._dirs.clear()
            verdict = self.excluded_path(rel, True)
            self._dirs[rel] = verdict
        return verdict

    def _in_scope(self, rel: str, is_dir: bool) -> bool:
        assert self._scopes is not None
        for scope in self._scopes:
            if rel == scope or rel.startswith(scope + "/"):
                return True
            if is_dir and scope.startswith(rel + "/"):
                return True
        return False

    def _chain(self, directory: str, names: Collection[str] | None = None) -> tuple[tuple[str, _Matcher], ...]:
        """The nested ignore files that apply inside ``directory``, deepest first (cached).

        ``names``: the directory's entries when the caller has listed it (a walk), so
        that only ignore files that exist are opened.
        """
        chain = self._chains.get(directory)
        if chain is None:
            lines: list[str] = []
            for name in IGNORE_FILES:
                if names is None or name in names:
                    lines += _read_lines(self.root / directory / name)
            own = ((directory, _compile(tuple(lines))),) if lines else ()
            chain = own + self._chain(directory.rpartition("/")[0])
            self._chains[directory] = chain
        return chain
