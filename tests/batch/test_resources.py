"""Per-node resources → actor requests, and the feasibility check (pure, no Ray)."""

from __future__ import annotations

import pytest

from wtb.batch.cluster import fitting_actors
from wtb.batch.errors import InvalidVariantError, ResourceUnavailableError
from wtb.batch.resources import actor_request, check_feasible, parse_memory
from wtb.config import NodeResourceConfig

NODE = {"Alive": True, "Resources": {"CPU": 2.0, "memory": 8 * 1024**3, "object_store_memory": 1e9}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2GB", 2 * 1024**3), ("512MB", 512 * 1024**2), ("1.5g", int(1.5 * 1024**3)), ("100", 100),
     (4096, 4096), ("3 KiB", 3072), (None, None)],
)
def test_parse_memory(text: object, expected: int | None) -> None:
    assert parse_memory(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["lots", "2 parsecs", "-1", True])
def test_parse_memory_refuses_nonsense(text: object) -> None:
    with pytest.raises(InvalidVariantError):
        parse_memory(text)  # type: ignore[arg-type]


def test_the_actor_asks_for_the_most_demanding_node() -> None:
    request = actor_request(
        {
            "embed": NodeResourceConfig(num_cpus=2, memory="2GB"),
            "retrieve": NodeResourceConfig(num_cpus=1, memory="3GB"),
            "generate": NodeResourceConfig(num_cpus=1, num_gpus=0.5),
        },
        cluster_cpus=4,
        pool_size=None,
    )
    assert request.ray_options() == {"num_cpus": 2.0, "num_gpus": 0.5, "memory": 3 * 1024**3}
    assert dict(request.by_node) == {"CPU": "embed", "GPU": "generate", "memory": "retrieve"}


def test_without_node_resources_an_actor_takes_one_cpu_or_a_fair_share() -> None:
    assert actor_request({}, 2, None).ray_options() == {"num_cpus": 1.0}
    assert actor_request({}, 2, 2).num_cpus == 1.0
    shared = actor_request({}, 2, 3).num_cpus
    assert shared * 3 <= 2 and shared > 0.66
    assert fitting_actors(actor_request({}, 2, 3).ray_options(), [NODE]) == 3


def test_fitting_actors_counts_per_node() -> None:
    nodes = [NODE, {"Alive": True, "Resources": {"CPU": 3.0, "memory": 1024**3}}]
    assert fitting_actors({"num_cpus": 1}, nodes) == 5
    assert fitting_actors({"num_cpus": 1, "memory": 2 * 1024**3}, nodes) == 2


def test_a_feasible_request_passes() -> None:
    check_feasible(actor_request({"a": NodeResourceConfig(num_cpus=2, memory="8GB")}, 2, None), [NODE])


def test_an_impossible_request_names_the_node_and_what_exists() -> None:
    request = actor_request({"embed": NodeResourceConfig(num_cpus=64), "gen": NodeResourceConfig(num_gpus=1)}, 2, None)
    with pytest.raises(ResourceUnavailableError) as info:
        check_feasible(request, [NODE, {"Alive": False, "Resources": {"CPU": 128.0, "GPU": 8.0}}])
    message = str(info.value)
    assert "num_cpus 64 (asked by node 'embed')" in message
    assert "num_gpus 1 (asked by node 'gen')" in message
    assert "largest node offers num_cpus 2" in message


def test_resources_split_over_nodes_do_not_add_up() -> None:
    request = actor_request({"n": NodeResourceConfig(num_cpus=2, memory="6GB")}, 4, None)
    nodes = [{"Alive": True, "Resources": {"CPU": 2.0, "memory": 1024**3}},
             {"Alive": True, "Resources": {"CPU": 1.0, "memory": 8 * 1024**3}}]
    with pytest.raises(ResourceUnavailableError, match="No node"):
        check_feasible(request, nodes)
