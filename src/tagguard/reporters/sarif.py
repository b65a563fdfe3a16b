"""SARIF 2.1.0, for code-scanning dashboards: a result per block (error) and per warning."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tagguard import __version__
from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters import Context

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    "blocked": "Harbor will refuse this write or delete: the tag is immutable",
    "broken-rule": "An immutability rule errors in Harbor and fails open",
    "warning": "Harbor will silently do something other than the pipeline expects",
}


def sarif(report: Report) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for decision in report.decisions:
        if decision.decision is not Verdict.BLOCK:
            continue
        result: dict[str, Any] = {
            "ruleId": "blocked",
            "level": "error",
            "message": {"text": f"{printable(decision.reference)}: {printable(decision.reason)}"},
            "properties": {
                "operation": decision.operation.value,
                "reference": decision.reference,
                "rule_id": decision.rule_id,
            },
        }
        if decision.origin:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": decision.origin[0]},
                        "region": {"startLine": decision.origin[1]},
                    }
                }
            ]
        else:
            result["locations"] = [
                {
                    "logicalLocations": [
                        {"fullyQualifiedName": decision.reference, "kind": "resource"}
                    ]
                }
            ]
        results.append(result)
    for notice in report.warnings:
        rule = "broken-rule" if notice.code == "broken-rule" else "warning"
        results.append(
            {"ruleId": rule, "level": "warning", "message": {"text": printable(notice.message)}}
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tagguard",
                        "version": __version__,
                        "informationUri": "https://tagguard.invalid/",
                        "rules": [
                            {"id": rid, "shortDescription": {"text": text}}
                            for rid, text in RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def render(report: Report, context: Context) -> None:
    json.dump(sarif(report), context.stream, indent=2)
    context.stream.write("\n")


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, json.dumps(sarif(report), indent=2) + "\n")
