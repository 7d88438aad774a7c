"""JUnit XML for ``wtb check --junit``: one test case per golden run, CI systems read it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from wtb.regression.compare import CheckResult


def write_junit(results: list[CheckResult], path: Path) -> None:
    failures = sum(not r.passed for r in results)
    suite = ET.Element("testsuite", name="wtb-check", tests=str(len(results)), failures=str(failures))
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="wtb.golden", name=result.golden)
        if not result.passed:
            divergence = result.divergence
            message = f"{divergence.kind} {divergence.name!r} differs at step {divergence.step}" if divergence else ""
            failure = ET.SubElement(case, "failure", message=message)
            failure.text = result.report()
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
