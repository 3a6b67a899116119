"""Validate a custom resource against the upstream CRD in `harness/reference/cilium/<release>/`.

The CRD's `openAPIV3Schema` for the object's apiVersion, made strict the way the API server's
structural pruning is (an object with declared properties accepts no other field, unless it says
`x-kubernetes-preserve-unknown-fields`), checked with `jsonschema`, with the `cidr` format.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

import jsonschema
import yaml

from harness.targets.lab.kube import REFERENCE  # the repo's own copies (harness/reference)

CILIUM = REFERENCE / "cilium"
RELEASES = ("v1.17.3", "main-20260621")
FORMATS = jsonschema.FormatChecker()
VALUE_VALIDATIONS = ("anyOf", "allOf", "oneOf", "not")


@FORMATS.checks("cidr", raises=ValueError)
def _cidr(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.ip_network(value, strict=False)
    return True


def _strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found = {}
    for key, value in schema.items():
        if key in VALUE_VALIDATIONS:  # structural schemas only constrain values there, never add fields
            found[key] = value
        elif key == "properties":
            found[key] = {name: _strict(item) for name, item in value.items()}
        else:
            found[key] = _strict(value)
    if ("properties" in found and "additionalProperties" not in found
            and not found.get("x-kubernetes-preserve-unknown-fields")):
        found["additionalProperties"] = False
    return found


@functools.cache
def _crds(release: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(group/version, kind) -> strict schema, for every CRD file of the release."""
    found = {}
    for path in sorted((CILIUM / release).glob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                found[(f"{group}/{version['name']}", kind)] = _strict(version["schema"]["openAPIV3Schema"])
    return found


def validate_custom(obj: dict[str, Any], *, release: str) -> None:
    """Raises jsonschema.ValidationError (or KeyError when the release serves no such kind)."""
    schema = _crds(release)[(obj["apiVersion"], obj["kind"])]
    jsonschema.Draft7Validator(schema, format_checker=FORMATS).validate(obj)
