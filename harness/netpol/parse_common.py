"""Validation pieces shared by the NetworkPolicy and Cilium parsers: metadata, CIDRs, ports."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from harness.netpol.errors import Problems
from harness.netpol.model import IPNetwork
from harness.netpol.selectors import label_key_problem, label_value_problem

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SERVICE_NAME = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-))*$")
METADATA_FIELDS = {
    "name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation",
    "creationTimestamp", "selfLink", "managedFields", "finalizers", "ownerReferences", "generateName",
}


def check_fields(raw: dict[str, Any], allowed: set[str], path: str, problems: Problems) -> None:
    for key in raw:
        if key not in allowed:
            problems.add(f"{path}.{key}" if path else str(key), "unknown field")


def parse_metadata(raw: Any, problems: Problems, *, namespaced: bool) -> tuple[str, str | None]:
    """(name, namespace); a namespaced object without a namespace lives in `default`."""
    if not isinstance(raw, dict) or not raw:
        problems.add("metadata", "must be a mapping with at least a name")
        return "", "default" if namespaced else None
    check_fields(raw, METADATA_FIELDS, "metadata", problems)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        problems.add("metadata.name", "must be a non-empty string")
        name = ""
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        problems.add("metadata.name", f"{name[:60]!r} is not a valid DNS subdomain name")
    namespace = raw.get("namespace", "default" if namespaced else None)
    if namespaced and (not isinstance(namespace, str) or len(namespace) > 63
                       or not _DNS_LABEL.match(namespace)):
        problems.add("metadata.namespace", "must be a valid namespace name")
        namespace = "default"
    if not namespaced and namespace is not None:
        problems.add("metadata.namespace", "a cluster-wide policy has no namespace")
    for kind in ("labels", "annotations"):
        value = raw.get(kind)
        if value is not None and not isinstance(value, dict):
            problems.add(f"metadata.{kind}", "must be a mapping")
    labels = raw.get("labels") or {}
    if isinstance(labels, dict):
        for key, value in labels.items():
            if (problem := label_key_problem(key) or label_value_problem(value)) is not None:
                problems.add(f"metadata.labels.{key}", problem)
    return name, namespace if namespaced else None


def parse_cidr(raw: Any, path: str, problems: Problems) -> IPNetwork | None:
    if not isinstance(raw, str) or "/" not in raw:
        problems.add(path, f"{raw!r} is not a CIDR such as 10.0.0.0/8")
        return None
    try:
        return ipaddress.ip_network(raw, strict=False)  # the API server accepts host bits too
    except ValueError:
        problems.add(path, f"{raw!r} is not a valid CIDR")
        return None


def parse_excepts(cidr: IPNetwork | None, raw: Any, path: str, problems: Problems) -> tuple[IPNetwork, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, "must be a list of CIDRs")
        return ()
    found: list[IPNetwork] = []
    for index, item in enumerate(raw):
        network = parse_cidr(item, f"{path}[{index}]", problems)
        if network is None or cidr is None:
            continue
        if network.version != cidr.version or not network.subnet_of(cidr):  # type: ignore[arg-type]
            problems.add(f"{path}[{index}]", f"{network} is not inside {cidr}")
        else:
            found.append(network)
    return tuple(found)


def parse_port_value(raw: Any, path: str, problems: Problems) -> int | str | None:
    """A port number 1-65535 or an IANA service name (what a named container port is called)."""
    if isinstance(raw, bool):
        problems.add(path, "must be a port number or a port name")
        return None
    if isinstance(raw, int):
        if not 1 <= raw <= 65535:
            problems.add(path, f"{raw} is not a port number between 1 and 65535")
            return None
        return raw
    if isinstance(raw, str):
        if raw.isdigit():
            return parse_port_value(int(raw), path, problems)
        valid = (len(raw) <= 15 and _SERVICE_NAME.match(raw) and any(c.isalpha() for c in raw)
                 and not raw.endswith("-"))
        if not valid:
            problems.add(path, f"{raw!r} is not a valid port name")
            return None
        return raw
    problems.add(path, "must be a port number or a port name")
    return None


def parse_end_port(raw: Any, port: int | str | None, path: str, problems: Problems) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        problems.add(path, "must be an integer")
        return None
    if not isinstance(port, int):
        problems.add(path, "needs a numeric port to start the range")
        return None
    if not port <= raw <= 65535:
        problems.add(path, f"{raw} must be between port {port} and 65535")
        return None
    return raw
