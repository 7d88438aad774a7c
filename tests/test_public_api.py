"""WTB uses its libraries through their public API only.

A private member (a leading underscore) can change in any patch release: watchdog
7.1.1 did, and every snapshot waited two seconds. This parses every module of
``server/wtb`` and fails on an import of another package's private module or name, and
on an attribute access ``x._name`` where ``_name`` is defined nowhere in WTB (so it can
only be some library's). A private member that is truly unavoidable goes in one wrapper
module listed in ``WRAPPERS`` with the reason, and has a test naming the versions it
was checked against.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server" / "wtb"

#: Modules allowed to touch a library's private members: path under server/wtb -> why.
WRAPPERS: dict[str, str] = {}
#: Underscored names that are documented public API: namedtuple's methods (named so to stay
#: clear of field names) and ``os._exit``.
DOCUMENTED = {"_make", "_asdict", "_replace", "_fields", "_field_defaults", "_exit"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SERVER.rglob("*.py")):
        rel = path.relative_to(SERVER).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _own_names(trees: list[ast.Module]) -> set[str]:
    """Every private name WTB defines itself: functions, classes, attributes, variables, arguments."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
                names.add(node.attr)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
    return {name for name in names if _private(name)} | DOCUMENTED


def _foreign_module(module: str | None) -> bool:
    return module is not None and module.split(".")[0] != "wtb"


def _violations(rel: str, tree: ast.Module, own: set[str]) -> Iterator[str]:
    for node in ast.walk(tree):
        where = f"server/wtb/{rel}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _foreign_module(alias.name) and any(_private(p) for p in alias.name.split(".")):
                    yield f"{where}: import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _foreign_module(node.module):
            module = node.module or ""
            if any(_private(p) for p in module.split(".")):
                yield f"{where}: from {module} import ..."
            for alias in node.names:
                if _private(alias.name):
                    yield f"{where}: from {module} import {alias.name}"
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            yield f"{where}: .{node.attr}"


def test_no_module_uses_a_librarys_private_names() -> None:
    modules = list(_modules())
    own = _own_names([tree for _, tree in modules])
    found = [v for rel, tree in modules if rel not in WRAPPERS for v in _violations(rel, tree, own)]
    assert found == [], "private members of other libraries:\n" + "\n".join(found)


def test_the_check_catches_what_it_is_for() -> None:
    """The check itself can fail: a subclass reaching into watchdog, as the old watcher did."""
    bad = ast.parse(
        "from watchdog.observers.inotify_c import InotifyFD\n"
        "from ray._private import worker\n"
        "import langgraph._internal.constants\n"
        "from pygls.protocol import _private_thing\n"
        "class R(InotifyFD):\n"
        "    def read(self):\n"
        "        return self._parse_event_buffer(b'')\n"
    )
    found = list(_violations("example.py", bad, own={"_mine"}))
    assert len(found) == 4, found
    assert any("_parse_event_buffer" in v for v in found)


# -- SQL on another library's tables --------------------------------------------------------

#: Tables LangGraph's savers create: their layout is not documented and may change in any
#: release, so WTB reaches them only through the saver's public methods.
FOREIGN_TABLES = ("checkpoints", "writes", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations")
_SQL_ON_FOREIGN = re.compile(
    r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?)\s+[\"`]?(" + "|".join(FOREIGN_TABLES) + r")\b",
    re.IGNORECASE,
)


def _sql_on_foreign_tables(rel: str, tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found = _SQL_ON_FOREIGN.search(node.value)
            if found:
                yield f"server/wtb/{rel}:{node.lineno}: SQL on {found.group(1)!r}"


#: Folders whose database is WTB's own and has a table of the same name: filetrack.db's
#: ``checkpoints`` (checkpoint -> file snapshot links); they never open LangGraph's database.
OWN_DATABASES = ("filetrack/",)


def test_no_module_runs_sql_on_langgraphs_tables() -> None:
    found = [
        v
        for rel, tree in _modules()
        if not rel.startswith(OWN_DATABASES)
        for v in _sql_on_foreign_tables(rel, tree)
    ]
    assert found == [], "SQL on tables WTB does not own:\n" + "\n".join(found)


def test_the_sql_check_catches_what_it_is_for() -> None:
    bad = ast.parse(
        'q = "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?"\n'
        'r = "INSERT OR REPLACE INTO writes (thread_id) SELECT ?"\n'
        's = "DELETE FROM wtb_task_paths WHERE thread_id = ?"\n'
        't = "the checkpoints from a run"\n'
    )
    assert [v.split(": ", 1)[1] for v in _sql_on_foreign_tables("example.py", bad)] == [
        "SQL on 'checkpoints'",
        "SQL on 'writes'",
    ]
