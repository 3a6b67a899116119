"""Validate Rook custom resources against the CRDs in `harness/reference/rook/crds/` (v1.20.6).

Same strictness as `crd_schema.py` (structural pruning: undeclared fields are errors). Two parts
of Rook's schemas are not checked by jsonschema: `nullable: true` (our objects carry no nulls)
and the CEL rules in `x-kubernetes-validations` (none applies to the fields we set).
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import yaml

from harness.targets.lab.kube import REFERENCE  # the repo's own copies (harness/reference)
from tests.kubernetes.crd_schema import FORMATS, _strict

ROOK_CRDS = REFERENCE / "rook" / "crds"
IMPLICIT = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


@functools.cache
def _crds() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted(ROOK_CRDS.glob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schema = dict(version["schema"]["openAPIV3Schema"])
                # The API server always accepts these three; Rook's schemas leave them implicit.
                schema["properties"] = {**IMPLICIT, **schema.get("properties", {})}
                found[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return found


def validate_rook(obj: dict[str, Any]) -> None:
    """Raises jsonschema.ValidationError (or KeyError when Rook serves no such kind)."""
    jsonschema.Draft7Validator(_crds()[(obj["apiVersion"], obj["kind"])],
                               format_checker=FORMATS).validate(obj)
