"""Moved to :mod:`wtb.config` (records sit at the bottom of the layers); kept for old imports."""

from wtb.config import WorkflowProject as WorkflowProject
