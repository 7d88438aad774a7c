"""Who a batch runs for: the engine's services, or a bench that has them.

``RayBatchTestRunner(bench)`` and ``run_batch(bench, ...)`` are public and take a
``WTBTestBench``; the batch package never imports the SDK (it sits below it), so a bench
is anything with a ``services`` property.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wtb.engine.services import Services


class HasServices(Protocol):
    """What offers the engine's services (a ``WTBTestBench``)."""

    @property
    def services(self) -> Services: ...


def services_of(owner: Services | HasServices) -> Services:
    """The services themselves, or a bench's."""
    found: Services = owner.services if hasattr(owner, "services") else owner  # type: ignore[assignment]
    return found
