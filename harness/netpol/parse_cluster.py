"""Namespace and Pod objects (as `kubectl get -o json` writes them) -> the engine's Cluster.

Every problem is recorded with the object it is in and its field path, and all are raised
together as one ClusterError, so a bad pod list never ends in a bare KeyError or TypeError.
Only what the engine reads is checked: names, labels, named container ports and the pod IP.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from harness.netpol.errors import ClusterError, Problems
from harness.netpol.model import PROTOCOLS, Cluster, ContainerPort, Namespace, Pod
from harness.netpol.selectors import label_key_problem, label_value_problem

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-))*$")


def cluster_from_objects(*, namespaces: Iterable[Any], pods: Iterable[Any],
                         sources: tuple[str, str] = ("namespaces", "pods")) -> Cluster:
    """A Cluster from Kubernetes Namespace and Pod objects (dicts); raises ClusterError listing all problems.

    `sources` name where the two lists came from (file names), for the problems' paths.
    """
    problems: list[tuple[str, str]] = []
    found_namespaces: list[Namespace] = []
    for index, raw in enumerate(namespaces):
        found = Problems()
        name, labels = _metadata(raw, found, namespaced=False)
        problems += _located(f"{sources[0]} items[{index}]", found)
        if not found:
            found_namespaces.append(Namespace(name, labels))
    found_pods: list[Pod] = []
    for index, raw in enumerate(pods):
        found = Problems()
        pod = _pod(raw, found)
        problems += _located(f"{sources[1]} items[{index}]", found)
        if pod is not None and not found:
            found_pods.append(pod)
    if problems:
        count = len(problems)
        raise ClusterError(f"cluster objects from {' and '.join(sources)} have {count} "
                           f"problem{'s' if count != 1 else ''}:", problems)
    try:
        return Cluster(namespaces=found_namespaces, pods=found_pods)
    except ClusterError as e:
        raise ClusterError(f"cluster objects from {' and '.join(sources)}: {e}") from e


def _located(where: str, found: Problems) -> list[tuple[str, str]]:
    return [(f"{where}: {path}" if path else where, sentence) for path, sentence in found.items]


def _metadata(raw: Any, problems: Problems, *, namespaced: bool) -> tuple[str, dict[str, str]]:
    """(name, labels) of an object; a pod's namespace is checked by _pod."""
    if not isinstance(raw, dict):
        problems.add("", "an object must be a mapping")
        return "", {}
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        problems.add("metadata", "must be a mapping with at least a name")
        return "", {}
    name = meta.get("name")
    pattern = _DNS_SUBDOMAIN if namespaced else _DNS_LABEL
    if not isinstance(name, str) or not pattern.match(name) or len(name) > (253 if namespaced else 63):
        kind = "pod" if namespaced else "namespace"
        problems.add("metadata.name", f"{str(name)[:60]!r} is not a valid {kind} name")
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        problems.add("metadata.labels", "must be a mapping of label keys to values")
        return str(name), {}
    for key, value in labels.items():
        if (problem := label_key_problem(key) or label_value_problem(value)) is not None:
            problems.add(f"metadata.labels.{key}", problem)
    return str(name), dict(labels)


def _pod(raw: Any, problems: Problems) -> Pod | None:
    name, labels = _metadata(raw, problems, namespaced=True)
    if problems:
        return None
    namespace = raw["metadata"].get("namespace")
    if not isinstance(namespace, str) or len(namespace) > 63 or not _DNS_LABEL.match(namespace):
        problems.add("metadata.namespace", f"{str(namespace)[:60]!r} is not a valid namespace name")
    status = raw.get("status") or {}
    ip = status.get("podIP") if isinstance(status, dict) else None
    if not isinstance(status, dict):
        problems.add("status", "must be a mapping")
    elif ip is not None and not _is_address(ip):
        problems.add("status.podIP", f"{str(ip)[:60]!r} is not an IP address")
    ports = _ports(raw.get("spec"), problems)
    return Pod(str(namespace), name, labels, ip, ports)


def _is_address(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return isinstance(value, str)


def _ports(spec: Any, problems: Problems) -> tuple[ContainerPort, ...]:
    """The named container ports, the targets of a policy's named ports."""
    if spec is None:
        return ()
    if not isinstance(spec, dict):
        problems.add("spec", "must be a mapping")
        return ()
    containers = spec.get("containers") or []
    if not isinstance(containers, list):
        problems.add("spec.containers", "must be a list of containers")
        return ()
    found: list[ContainerPort] = []
    for c_index, container in enumerate(containers):
        where = f"spec.containers[{c_index}]"
        if not isinstance(container, dict):
            problems.add(where, "a container must be a mapping")
            continue
        ports = container.get("ports") or []
        if not isinstance(ports, list):
            problems.add(f"{where}.ports", "must be a list of ports")
            continue
        for p_index, port in enumerate(ports):
            if (parsed := _port(port, f"{where}.ports[{p_index}]", problems)) is not None:
                found.append(parsed)
    return tuple(found)


def _port(raw: Any, path: str, problems: Problems) -> ContainerPort | None:
    if not isinstance(raw, dict):
        problems.add(path, "a port must be a mapping with containerPort")
        return None
    number, name, protocol = raw.get("containerPort"), raw.get("name"), raw.get("protocol", "TCP")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
        problems.add(f"{path}.containerPort", "is required: a port number between 1 and 65535")
        number = None
    if name is not None and (not isinstance(name, str) or len(name) > 15 or not _PORT_NAME.match(name)
                             or not any(ch.isalpha() for ch in name) or name.endswith("-")):
        problems.add(f"{path}.name", f"{str(name)[:60]!r} is not a valid port name")
        name = None
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        problems.add(f"{path}.protocol", f"{str(protocol)[:60]!r} is not one of {', '.join(PROTOCOLS)}")
        protocol = None
    if not name or number is None or protocol is None:  # only named ports are looked up
        return None
    return ContainerPort(name, number, protocol)
