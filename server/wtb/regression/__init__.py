"""Regression testing against golden runs: "did my change break the graph?"."""

from wtb.regression.compare import CheckResult, CheckRules, Divergence

__all__ = ["CheckResult", "CheckRules", "Divergence"]
