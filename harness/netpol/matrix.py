"""Allowed matrices, their diff, and the `policy-matrix` timeline data for the report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Connection:
    """One cell: source and destination (pod keys `namespace/name`, or addresses), port, protocol."""

    src: str
    dst: str
    port: int
    protocol: str = "TCP"

    def __str__(self) -> str:
        return f"{self.src} -> {self.dst} {self.port}/{self.protocol}"


@dataclass(frozen=True)
class Matrix:
    """Connection -> allowed; `reasons` (expected matrices only) says which policies decided each cell."""

    cells: Mapping[Connection, bool]
    reasons: Mapping[Connection, str] = field(default_factory=dict)

    @classmethod
    def from_results(cls, results: Iterable[tuple[str, str, int, str, bool]]) -> Matrix:
        """An observed matrix from (src, dst, port, protocol, connected) tuples."""
        return cls({Connection(s, d, p, proto): bool(ok) for s, d, p, proto, ok in results})

    def allowed(self, src: str, dst: str, port: int, protocol: str = "TCP") -> bool:
        return self.cells[Connection(src, dst, port, protocol)]

    def __iter__(self) -> Iterator[Connection]:
        return iter(sorted(self.cells))

    def __len__(self) -> int:
        return len(self.cells)


def _word(value: bool | None) -> str:
    return "not probed" if value is None else "allowed" if value else "denied"


@dataclass(frozen=True)
class Mismatch:
    """A cell where expectation and observation differ (None: the cell is missing on that side)."""

    connection: Connection
    expected: bool | None
    observed: bool | None
    decided_by: str

    def __str__(self) -> str:
        why = f" ({self.decided_by})" if self.decided_by else ""
        return (f"{self.connection}: expected {_word(self.expected)}, "
                f"observed {_word(self.observed)}{why}")


def diff(expected: Matrix, observed: Matrix) -> list[Mismatch]:
    """Every differing cell, sorted; cells only one side has count as mismatches too."""
    found = []
    for key in sorted(set(expected.cells) | set(observed.cells)):
        want, got = expected.cells.get(key), observed.cells.get(key)
        if want != got:
            found.append(Mismatch(key, want, got, expected.reasons.get(key, "")))
    return found


def policy_matrix_timeline(expected: Matrix, observed: Matrix) -> dict[str, Any]:
    """Data for `record_timeline(name, "policy-matrix", data)`: one pair per cell of either matrix.

    `port` is "80/TCP" so the report's cell says the protocol; `expected`/`observed` are
    "allow", "deny" or null (not probed); `decided_by` names the deciding policies.
    """
    def word(value: bool | None) -> str | None:
        return None if value is None else "allow" if value else "deny"

    pairs = []
    for key in sorted(set(expected.cells) | set(observed.cells)):
        pairs.append({"src": key.src, "dst": key.dst, "port": f"{key.port}/{key.protocol}",
                      "expected": word(expected.cells.get(key)), "observed": word(observed.cells.get(key)),
                      "decided_by": expected.reasons.get(key, "")})
    return {"pairs": pairs}
