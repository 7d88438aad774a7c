"""Moved to :mod:`wtb.config` (records sit at the bottom of the layers); kept for old imports."""

from wtb.config import *  # noqa: F403
from wtb.config import DEFAULT_IGNORES as DEFAULT_IGNORES
