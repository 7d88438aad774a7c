"""Records to and from the wire: camelCase field names, strict scalars, readable errors.

Params are structured with :func:`from_wire` (a bad value becomes one readable
``InvalidArgumentError``), results are turned into JSON with :func:`to_wire`.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from wtb.errors import InvalidArgumentError


def to_camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()

    def _token(value: Any, _: Any) -> Any:
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            return value
        raise ValueError(f"expected a string or an integer, got {type(value).__name__}")

    def _optional_token(value: Any, tp: Any) -> Any:
        return None if value is None else _token(value, tp)

    conv.register_structure_hook(int | str, _token)
    conv.register_structure_hook(int | str | None, _optional_token)

    def _size(value: Any, _: Any) -> Any:
        if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
            return value
        raise ValueError(f'expected a size like "50MB" or a byte count, got {_json_type(value)}')

    conv.register_structure_hook(str | int | None, _size)

    # cattrs would happily turn 3 into "3" or "x" into an error deep in int(); be strict.
    def _strict(expected: type[Any], accepted: tuple[type[Any], ...], name: str) -> Any:
        def hook(value: Any, _: Any) -> Any:
            if isinstance(value, bool) and expected is not bool:
                raise ValueError(f"expected {name}, got a boolean")
            if not isinstance(value, accepted):
                raise ValueError(f"expected {name}, got {_json_type(value)}")
            return expected(value)

        return hook

    conv.register_structure_hook(str, _strict(str, (str,), "a string"))
    conv.register_structure_hook(int, _strict(int, (int,), "an integer"))
    conv.register_structure_hook(float, _strict(float, (int, float), "a number"))
    conv.register_structure_hook(bool, _strict(bool, (bool,), "a boolean"))

    def _unstructure_factory(cls: type[Any]) -> Any:
        fields = {a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, conv, **fields)  # type: ignore[arg-type]

    def _structure_factory(cls: type[Any]) -> Any:
        fields = {a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)}
        return make_dict_structure_fn(cls, conv, **fields)  # type: ignore[arg-type]

    conv.register_unstructure_hook_factory(attrs.has, _unstructure_factory)
    conv.register_structure_hook_factory(attrs.has, _structure_factory)
    return conv


converter: Final = _make_converter()

T = TypeVar("T")


def from_wire(cls: type[T], params: Any, *, method: str = "") -> T:
    """Structure wire params (``None`` counts as ``{}``); a bad value is one readable error."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidArgumentError(f"{method or cls.__name__}: params must be an object")
    try:
        return converter.structure(params, cls)
    except cattrs.ClassValidationError as exc:
        messages = cattrs.transform_error(exc, path="params", format_exception=_format_exception)
        details = "; ".join(_readable(msg) for msg in messages)
        raise InvalidArgumentError(f"{method or cls.__name__}: {details}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidArgumentError(f"{method or cls.__name__}: {exc}") from None


def _format_exception(exc: BaseException, tp: type[Any] | None) -> str:
    if isinstance(exc, ValueError) and str(exc).startswith("expected "):
        return str(exc)
    return cattrs.v.format_exception(exc, tp)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _readable(message: str) -> str:
    # cattrs paths name Python fields; the client knows the camelCase ones.
    head, sep, path = message.rpartition(" @ ")
    if not sep:
        return message
    if head.startswith("unknown error (") and head.endswith(")"):
        head = head[len("unknown error (") : -1]
    head = head.replace("typing.Literal", "one of ")
    parts = path.split(".")
    return f"{head} @ " + ".".join(to_camel(p) for p in parts)


def to_wire(value: Any) -> Any:
    """Turn a protocol record (or a list/dict of them) into JSON-ready values."""
    return converter.unstructure(value)
