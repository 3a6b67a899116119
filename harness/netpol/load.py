"""Reading policies and cluster objects from YAML/JSON files or text (the engine's only I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.netpol.cidr_groups import KIND as CIDR_GROUP_KIND
from harness.netpol.cidr_groups import CidrGroup, parse_cidr_group, resolve_cidr_groups
from harness.netpol.errors import ClusterError, PolicyError, Problems
from harness.netpol.model import Cluster, Policy
from harness.netpol.parse_cilium import KINDS as CILIUM_KINDS
from harness.netpol.parse_cilium import parse_cilium_policy
from harness.netpol.parse_cluster import cluster_from_objects as cluster_from_objects
from harness.netpol.parse_k8s import parse_network_policy

LIST_KINDS = ("List", "NetworkPolicyList", "CiliumNetworkPolicyList", "CiliumClusterwideNetworkPolicyList",
              "CiliumCIDRGroupList")


def load_policies(paths: Iterable[str | Path]) -> list[Policy]:
    """Every policy in the given files; raises one PolicyError listing all problems of all files.

    CiliumCIDRGroups may sit in any of the files; the policies' group references see them all.
    """
    found = _Found()
    paths = list(paths)
    for path in paths:
        try:
            text = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as e:
            found.problems.append((str(path), f"cannot be read: {getattr(e, 'strerror', None) or e}"))
            continue
        _parse_text(text, Path(path).name, found)
    return found.policies_or_raise(", ".join(map(str, paths)) if len(paths) <= 3 else f"{len(paths)} files")


def parse_policies(text: str, *, source: str = "<text>") -> list[Policy]:
    """Every policy in a (multi-document) YAML text; raises PolicyError listing all problems."""
    found = _Found()
    _parse_text(text, source, found)
    return found.policies_or_raise(source)


@dataclass
class _Found:
    """Policies, CIDR groups (by where they were read) and problems, gathered over several texts."""

    policies: list[Policy] = field(default_factory=list)
    groups: list[tuple[str, CidrGroup]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def policies_or_raise(self, source: str) -> list[Policy]:
        first: dict[str, str] = {}
        for where, group in self.groups:
            if group.name in first:
                self.problems.append((f"{where}: metadata.name",
                                      f"CiliumCIDRGroup {group.name} is also defined in {first[group.name]}"))
            first.setdefault(group.name, where)
        if self.problems:
            raise PolicyError(source, self.problems)
        return resolve_cidr_groups(self.policies, (g for _, g in self.groups))


def _parse_text(text: str, source: str, found: _Found) -> None:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except (yaml.YAMLError, ValueError) as e:  # ValueError: a date that does not exist
        found.problems.append((source, f"is not valid YAML: {str(e).splitlines()[0] if str(e) else e!r}"))
        return
    for where, doc in _documents(documents, source):
        problems = Problems()
        if isinstance(doc, dict) and doc.get("kind") == CIDR_GROUP_KIND:
            group = parse_cidr_group(doc, problems)
            if group is not None and not problems:
                found.groups.append((where, group))
        else:
            parsed = parse_document(doc, problems)
            if not problems:
                found.policies += parsed
        # prefix every path with the document it came from, so several files report together
        found.problems += [(f"{where}: {path}" if path else where, sentence)
                           for path, sentence in problems.items]


def _documents(documents: list[Any], source: str) -> Iterator[tuple[str, Any]]:
    for index, doc in enumerate(documents):
        where = source if len(documents) == 1 else f"{source}#{index}"
        if isinstance(doc, dict) and doc.get("kind") in LIST_KINDS and isinstance(doc.get("items"), list):
            for position, item in enumerate(doc["items"]):
                yield f"{where} items[{position}]", item
        else:
            yield where, doc


def parse_document(doc: Any, problems: Problems) -> list[Policy]:
    """One policy object (already loaded from YAML) -> its policies; problems are recorded.

    CiliumCIDRGroups are not policies: the loaders above read them and resolve references to them.
    """
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
    return cluster_from_objects(namespaces=_items(namespaces), pods=_items(pods),
                                sources=(Path(namespaces).name, Path(pods).name))


def _items(path: str | Path) -> list[Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())  # JSON is YAML
    except (OSError, yaml.YAMLError, ValueError) as e:  # ValueError: not UTF-8, or a date that cannot be
        first = str(e).splitlines()[0] if str(e) else repr(e)
        raise ClusterError(f"cannot read {path}: {first}") from e
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ClusterError(f"{path} holds no list of objects")
    return items
