"""Variants and the matrix helper (pure, no Ray)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wtb.batch import Variant, load_variants_file, matrix, parse_variants
from wtb.batch.errors import InvalidVariantError
from wtb.batch.variants import coerce_variants, configurable


def test_matrix_is_the_cross_product_of_named_axes() -> None:
    variants = matrix(
        states={"revenue": {"query": "revenue?"}, "ray": {"query": "ray?"}},
        configs=[{"model": "small"}, {"configurable": {"model": "large"}}],
    )
    assert [v.name for v in variants] == ["revenue+c1", "revenue+c2", "ray+c1", "ray+c2"]
    assert variants[1].initial_state == {"query": "revenue?"}
    assert variants[1].config == {"model": "large"}  # LangGraph's wrapper is unwrapped


def test_single_member_axes_do_not_lengthen_names() -> None:
    variants = matrix(states=[{"q": 1}, {"q": 2}], configs={"fast": {"top_k": 1}})
    assert [v.name for v in variants] == ["s1", "s2"]
    assert all(v.config == {"top_k": 1} for v in variants)
    assert [v.name for v in matrix(configs=[{"a": 1}])] == ["c1"]


def test_matrix_with_overrides_and_state_updates() -> None:
    variants = matrix(
        node_overrides={"bm25": {"retrieve": "r.py:bm25"}, "dense": {"retrieve": "r.py:dense"}},
        state_updates=[{"top_k": 1}, {"top_k": 5}],
    )
    assert [v.name for v in variants] == ["u1+bm25", "u1+dense", "u2+bm25", "u2+dense"]
    assert variants[3].state_updates == {"top_k": 5} and variants[3].node_overrides == {"retrieve": "r.py:dense"}


def test_matrix_needs_an_axis() -> None:
    with pytest.raises(InvalidVariantError, match="at least one"):
        matrix()


def test_plain_states_camel_case_and_default_names() -> None:
    variants = coerce_variants(
        [
            {"query": "a"},
            {"name": "b", "initialState": {"query": "b"}, "nodeOverrides": {"n": "f.py:g"}},
            {"initial_state": {"query": "c"}, "config": {"configurable": {"k": 1}}},
        ]
    )
    assert [v.name for v in variants] == ["v1", "b", "v3"]
    assert variants[0].initial_state == {"query": "a"}
    assert variants[1].node_overrides == {"n": "f.py:g"}
    assert variants[2].config == {"k": 1}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one variant"),
        ([{"name": "a"}, Variant("a")], "Two variants are named 'a'"),
        ([{"name": "a", "config": [1]}], "'config' must be an object"),
        ([{"name": "a", "node_overrides": {"n": "not-a-reference"}}], "file.py:function"),
        (["text"], "not an object"),
    ],
)
def test_invalid_variants_are_refused_with_the_reason(items: list, message: str) -> None:
    with pytest.raises(InvalidVariantError, match=message):
        coerce_variants(items)


def test_parse_variants_accepts_a_list_an_object_and_a_matrix(tmp_path: Path) -> None:
    assert [v.name for v in parse_variants([{"x": 1}])] == ["v1"]
    data = {"variants": [{"name": "base", "initialState": {"q": 0}}], "matrix": {"states": [{"q": 1}, {"q": 2}]}}
    file = tmp_path / "variants.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    assert [v.name for v in load_variants_file(file)] == ["base", "s1", "s2"]
    with pytest.raises(InvalidVariantError, match="unknown axes: bogus"):
        parse_variants({"matrix": {"bogus": []}})
    with pytest.raises(InvalidVariantError, match="does not exist"):
        load_variants_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(InvalidVariantError, match="not valid JSON"):
        load_variants_file(tmp_path / "bad.json")


def test_to_dict_names_callable_overrides() -> None:
    variant = Variant("a", node_overrides={"n": configurable})
    assert variant.to_dict()["node_overrides"] == {"n": "wtb.batch.variants:configurable"}
