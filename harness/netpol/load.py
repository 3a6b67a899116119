"""Reading policies and cluster objects from YAML/JSON files or text (the engine's only I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from harness.netpol.errors import ClusterError, PolicyError, Problems
from harness.netpol.model import Cluster, ContainerPort, Namespace, Pod, Policy
from harness.netpol.parse_cilium import KINDS as CILIUM_KINDS
from harness.netpol.parse_cilium import parse_cilium_policy
from harness.netpol.parse_k8s import parse_network_policy

LIST_KINDS = ("List", "NetworkPolicyList", "CiliumNetworkPolicyList", "CiliumClusterwideNetworkPolicyList")


def load_policies(paths: Iterable[str | Path]) -> list[Policy]:
    """Every policy in the given files; raises one PolicyError listing all problems of all files."""
    policies: list[Policy] = []
    problems: list[tuple[str, str]] = []
    paths = list(paths)
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as e:
            problems.append((str(path), f"cannot be read: {e.strerror}"))
            continue
        found, bad = _parse_text(text, Path(path).name)
        policies += found
        problems += bad
    if problems:
        raise PolicyError(", ".join(map(str, paths)) if len(paths) <= 3 else f"{len(paths)} files", problems)
    return policies


def parse_policies(text: str, *, source: str = "<text>") -> list[Policy]:
    """Every policy in a (multi-document) YAML text; raises PolicyError listing all problems."""
    policies, problems = _parse_text(text, source)
    if problems:
        raise PolicyError(source, problems)
    return policies


def _parse_text(text: str, source: str) -> tuple[list[Policy], list[tuple[str, str]]]:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        return [], [(source, f"is not valid YAML: {str(e).splitlines()[0]}")]
    policies: list[Policy] = []
    problems: list[tuple[str, str]] = []
    for where, doc in _documents(documents, source):
        found = Problems()
        parsed = parse_document(doc, found)
        # prefix every path with the document it came from, so several files report together
        problems += [(f"{where}: {path}" if path else where, sentence) for path, sentence in found.items]
        if not found:
            policies += parsed
    return policies, problems


def _documents(documents: list[Any], source: str) -> Iterator[tuple[str, Any]]:
    for index, doc in enumerate(documents):
        where = source if len(documents) == 1 else f"{source}#{index}"
        if isinstance(doc, dict) and doc.get("kind") in LIST_KINDS and isinstance(doc.get("items"), list):
            for position, item in enumerate(doc["items"]):
                yield f"{where} items[{position}]", item
        else:
            yield where, doc


def parse_document(doc: Any, problems: Problems) -> list[Policy]:
    """One policy object (already loaded from YAML) -> its policies; problems are recorded."""
    if not isinstance(doc, dict):
        problems.add("", "a policy document must be a mapping")
        return []
    kind = doc.get("kind")
    if kind == "NetworkPolicy":
        policy = parse_network_policy(doc, problems)
        return [policy] if policy is not None else []
    if kind in CILIUM_KINDS:
        return parse_cilium_policy(doc, problems)
    problems.add("kind", f"{kind!r} is not NetworkPolicy, {' or '.join(CILIUM_KINDS)}")
    return []


def load_cluster(*, namespaces: str | Path, pods: str | Path) -> Cluster:
    """A Cluster from a NamespaceList and a PodList file (JSON or YAML, as `kubectl get -o json` writes)."""
    return cluster_from_objects(namespaces=_items(namespaces), pods=_items(pods))


def cluster_from_objects(*, namespaces: Iterable[dict[str, Any]], pods: Iterable[dict[str, Any]]) -> Cluster:
    """A Cluster from Kubernetes Namespace and Pod objects (dicts)."""
    found_namespaces = [Namespace(_meta(n, "name"), dict(n["metadata"].get("labels") or {}))
                        for n in namespaces]
    found_pods = []
    for pod in pods:
        ports = [ContainerPort(str(p["name"]), int(p["containerPort"]), str(p.get("protocol", "TCP")))
                 for c in (pod.get("spec") or {}).get("containers", [])
                 for p in c.get("ports") or [] if p.get("name")]
        found_pods.append(Pod(_meta(pod, "namespace"), _meta(pod, "name"),
                              dict(pod["metadata"].get("labels") or {}),
                              (pod.get("status") or {}).get("podIP"), tuple(ports)))
    return Cluster(namespaces=found_namespaces, pods=found_pods)


def _meta(obj: dict[str, Any], key: str) -> str:
    value = (obj.get("metadata") or {}).get(key)
    if not isinstance(value, str):
        raise ClusterError(f"an object has no metadata.{key}")
    return value


def _items(path: str | Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(Path(path).read_text())  # JSON is YAML
    except (OSError, yaml.YAMLError) as e:
        raise ClusterError(f"cannot read {path}: {e}") from e
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ClusterError(f"{path} holds no list of objects")
    return items
