"""What the CLI prints (issue 20): a drawn tree with forks under their checkpoint, a unified
diff of state keys and text files (a binary file: one line), the input kept on the record,
``cat --json``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.cli.conftest import Cli


def test_tree_draws_checkpoints_with_forks_under_their_checkpoint(ws: Path, made: tuple[Path, str], cli: Cli) -> None:
    short = made[1][:8]
    code, out, err = cli("fork", short, "@1", "--name", "alt", "--workspace", ws, "--json")
    assert code == 0, err
    fork = json.loads(out)
    code, out, err = cli("tree", "--workspace", ws)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"files {short}  completed")
    steps = [line for line in lines if line.startswith(("├── @", "└── @"))]
    assert [line.split()[1] for line in steps] == ["@-1", "@0", "@1", "@2", "@3"]
    assert "create" in steps[2] and steps[-1].startswith("└── @3") and "◀ head" in steps[-1]
    at_one = lines.index(steps[2])
    assert lines[at_one + 1].startswith(f"│   └── fork files {fork['id'][:8]} 'alt'  paused"), out
    nested = lines[at_one + 2: lines.index(steps[3])]
    assert nested and all(line.startswith("│       ") for line in nested), out
    assert "◀ head" in nested[-1]
    roots = json.loads(cli("tree", "--workspace", ws, "--json")[1])
    assert [child["execution"]["id"] for child in roots[0]["children"]] == [fork["id"]]


def test_diff_is_a_unified_diff_of_state_keys_and_text_files(ws: Path, made: tuple[Path, str], cli: Cli) -> None:
    short = made[1][:8]
    code, out, err = cli("diff", f"{short}@1", f"{short}:@2", "--workspace", ws)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"diff a={short}@1 b={short}@2"
    assert "--- a/state/tree" in lines and "+++ b/state/tree" in lines
    assert "--- a/work/a.txt" in lines and "+++ b/work/a.txt" in lines
    assert "-a1 d" in lines and "+a2 d" in lines
    assert lines.index("--- a/work/b.txt") + 1 == lines.index("+++ /dev/null") and "-b1" in lines
    assert not any("_output_files" in line for line in lines)
    code, out, _ = cli("diff", f"{short}@0", f"{short}@1", "--workspace", ws)
    assert "Binary files /dev/null and b/bin.dat differ" in out.splitlines()
    assert cli("diff", f"{short}@2", f"{short}@2", "--workspace", ws)[1].splitlines()[1:] == ["no differences"]
    as_json = json.loads(cli("diff", f"{short}@1", f"{short}@2", "--workspace", ws, "--json")[1])
    assert as_json["files"]["removed"] and "work/b.txt" in as_json["files"]["removed"]


def test_the_record_keeps_its_input(ws: Path, cli: Cli) -> None:
    (ws / "notes.md").write_text("again\n")  # the first run deleted it; its last step deletes it again
    code, out, err = cli("run", "files", "--input", '{"tag": "kept"}', "--workspace", ws, "--json")
    assert code == 0, err
    execution = json.loads(out)
    assert execution["initial_state"] == {"tag": "kept"}
    shown = json.loads(cli("executions", "--workspace", ws, "--json")[1])
    assert next(e for e in shown if e["id"] == execution["id"])["initial_state"] == {"tag": "kept"}


def test_cat_json_prints_json_text_or_base64(ws: Path, made: tuple[Path, str], cli: Cli) -> None:
    text = json.loads(cli("cat", made[1][:8], "@1", "work/a.txt", "--workspace", ws, "--json")[1])
    assert text == {"path": "work/a.txt", "encoding": "utf-8", "content": "a1 d"}
    binary = json.loads(cli("cat", made[1][:8], "@1", "bin.dat", "--workspace", ws, "--json")[1])
    assert binary["encoding"] == "base64" and base64.b64decode(binary["content"]) == bytes(range(256))


HOSTILE_NAMES = '''
import os
from typing import TypedDict
from langgraph.graph import END, START, StateGraph

class S(TypedDict, total=False):
    n: int

def plant(state: S) -> S:
    for name in (b"esc\\x1b]0;pwned\\x07title.txt", b"line\\nbreak.txt", b"bad\\xff.txt", b"csi\\xc2\\x9b2J.txt"):
        fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"x")
        os.close(fd)
    return {"n": 1}

builder = StateGraph(S)
builder.add_node("plant\\x1b[2J", plant)
builder.add_edge(START, "plant\\x1b[2J")
builder.add_edge("plant\\x1b[2J", END)
graph = builder
'''


def _raw(char: str) -> bool:
    """A character a terminal must not be given raw (a newline between rows aside)."""
    code = ord(char)
    return (code < 32 and char != "\n") or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


def test_names_from_the_workspace_reach_the_terminal_escaped(tmp_path: Path, cli: Cli) -> None:
    """File and node names are the workspace's, which may come from anywhere: an ESC sequence in
    one must not retitle or clear the user's terminal, a newline must not fake a row, and a name
    that is not UTF-8 must not be written as a raw byte (git quotes such paths too)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "plant.py").write_text(HOSTILE_NAMES)
    (ws / "langgraph.json").write_text(json.dumps({"graphs": {"plant": "./plant.py:graph"}}))
    code, out, err = cli("run", "plant", "--input", "{}", "--workspace", ws, "--json")
    assert code == 0, err
    execution = json.loads(out)["id"]
    shown = {
        what: cli(*what.split(), *([execution] if what != "tree" else []), "--workspace", ws)
        for what in ("files", "checkpoints", "tree")
    }
    for what, (code, out, err) in shown.items():
        assert code == 0, err
        assert not [c for c in out if _raw(c)], what
    files = shown["files"][1]
    for escaped in ("esc\\x1b]0;pwned\\x07title.txt", "line\\nbreak.txt", "bad\\xff.txt", "csi\\x9b2J.txt"):
        assert escaped in files
    assert "plant\\x1b[2J" in shown["tree"][1]
