"""Dry runs as part of the Target contract: what a planning target records instead of sending.

A target made with `plan=PlanSink()` sends nothing: each write it would make goes into the sink,
in order, and the plugin prints them. `Verdict` is a server's own check of one planned write,
for targets that can ask one. Nothing here knows which target planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

PODSECURITY = "violates PodSecurity"
CUSTOM_RESOURCE = "custom resource"


@dataclass(frozen=True)
class PlannedWrite:
    verb: str  # create | delete
    kind: str
    name: str
    namespace: str | None = None
    manifest: Obj | None = None  # for creates: the exact body the target would send
    purpose: str = ""

    def sentence(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        why = f" ({self.purpose})" if self.purpose else ""
        return f"{self.verb} {self.kind} {self.name}{where}{why}"


@dataclass
class PlanSink:
    """Everything a planning target would have sent, in order."""

    writes: list[PlannedWrite] = field(default_factory=list)

    def record(self, write: PlannedWrite) -> None:
        self.writes.append(write)

    def manifests(self) -> list[Obj]:
        return [w.manifest for w in self.writes if w.manifest is not None]


@dataclass(frozen=True)
class Verdict:
    """A server's check of one planned create (stored nowhere)."""

    write: PlannedWrite
    accepted: bool
    sentence: str
    where: str | None = None
    """The namespace the server checked it in, when not the planned one."""

    @property
    def refused(self) -> bool:
        """Refused in a way that would hold in the run too (not PodSecurity in a stand-in)."""
        return not self.accepted and not (self.where and PODSECURITY in self.sentence)

    def line(self) -> str:
        where = (f" (checked in namespace {self.where}: the planned one does not exist yet)"
                 if self.where else "")
        if self.accepted:
            return f"server: accepted (dry run){where}"
        if not self.refused:
            return (f"server: schema accepted; {self.sentence}{where}, which says nothing of the "
                    "run's namespace")
        return f"server: REFUSED: {self.sentence}{where}"


def schema_verdict(manifest: Obj) -> str:
    """One line for the dry run: valid, INVALID with reasons, or a custom resource this library
    has no schema for (the tests check those against the upstream Cilium and Rook CRDs)."""
    problems = validation_problems(manifest)
    if not problems:
        return "valid (Kubernetes 1.32, strict)"
    if problems[0].startswith(CUSTOM_RESOURCE):
        return f"{CUSTOM_RESOURCE}: not checked here; the harness's tests check it against the upstream CRD"
    return "INVALID: " + "; ".join(problems)


def validation_problems(manifest: Obj, *, version: str = "1.32") -> list[str]:
    """Problems `kubernetes-validate` finds (strict: unknown fields are errors); empty when valid."""
    import kubernetes_validate  # type: ignore[import-untyped]

    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [str(getattr(error, "message", error))[:300]]
    except kubernetes_validate.SchemaNotFoundError as error:  # e.g. a custom resource
        return [f"{CUSTOM_RESOURCE} {manifest.get('apiVersion')}/{manifest.get('kind')}: {error}"[:300]]
    return []
