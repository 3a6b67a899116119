"""The run file's shape (FORMAT.md), checked when a file is read.

Readers index rows by key (`run["id"]`, `row["metric"]`) and the report draws probe timelines
from their data, so a file that parses as JSON but has the wrong shape is refused here with its
paths, instead of failing later with a KeyError. Extra fields are allowed: adding an optional
field does not change the format version. Timeline data is free-form except for the kinds read
into typed records (`probe`, `events`, `chaos-journal`) and the `policy-matrix` the report draws.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict

from harness.results.records import OutcomeKind, RunDepth, RunStatus
from harness.validation import format_location

MAX_PROBLEMS_SHOWN = 3


def _iso(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text[:40]!r}") from None
    return text


def _instant(value: object) -> float | str:
    """Timeline times: seconds (relative or epoch) or ISO 8601; one sentence, not one per type."""
    if isinstance(value, str):
        return _iso(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise ValueError("should be seconds (a number) or an ISO 8601 time")


IsoTime = Annotated[str, AfterValidator(_iso)]
Instant = Annotated[float | str, PlainValidator(_instant)]
# The id names files and pages (`run-<id>.json`, `runs/<id>.html`): no path separators.
RunId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=200)]


_STRICT = ConfigDict(strict=True, extra="allow")


class _Shape(BaseModel):
    model_config = _STRICT


class WriterShape(_Shape):
    host: str
    pid: int
    boot_id: str | None = None
    start_ticks: int | None = None


class RunShape(_Shape):
    id: RunId
    target: str
    profile: str
    harness_version: str
    started: IsoTime
    label: str | None = None
    ended: IsoTime | None = None
    status: RunStatus
    depth: RunDepth | None = None
    components: dict[str, str] = {}
    crashed_workers: list[str] = []
    writer: WriterShape | None = None
    recovered: IsoTime | None = None


# Rows are TypedDicts, not models: a report reads ~100,000 of them, and validating a TypedDict
# builds no object (half the time of a model).
@with_config(_STRICT)
class OutcomeShape(TypedDict):
    nodeid: str
    outcome: OutcomeKind
    duration_s: float
    message: NotRequired[str | None]
    worker: NotRequired[str | None]


@with_config(_STRICT)
class MeasurementShape(TypedDict):
    metric: Annotated[str, Field(min_length=1)]
    value: float
    unit: str
    higher_is_better: bool
    ceiling: NotRequired[float | None]
    tags: NotRequired[dict[str, str]]
    nodeid: NotRequired[str | None]
    time: str
    samples: NotRequired[list[float]]


class TimelineShape(_Shape):
    name: str
    kind: str
    data: dict[str, Any]
    nodeid: str | None = None


class DocumentShape(_Shape):
    run: RunShape
    outcomes: list[OutcomeShape]
    measurements: list[MeasurementShape]
    timelines: list[TimelineShape]


class _Samples(_Shape):
    time: list[Instant] = []
    ok: list[bool] = []
    latency_s: list[float] = []
    error: list[str | None] = []
    value: list[str | None] = []


class _Window(_Shape):
    start: Instant
    end: Instant
    failed_samples: int = 0
    recovered: bool = True
    first_error: str | None = None


class _Event(_Shape):
    time: Instant = 0.0  # may be absent (the report skips such events), never null
    kind: str | None = None
    node: str | None = None
    detail: str | None = None


class ProbeData(_Shape):
    samples: _Samples | None = None
    windows: list[_Window] = []
    events: list[_Event] = []  # version 1
    figures: dict[str, float | None] = {}


class EventsData(_Shape):
    events: list[_Event] = []
    figures: dict[str, float | None] = {}


class _Step(_Shape):
    start: Instant = 0.0
    end: Instant | None = None


class _Expectation(_Shape):
    text: str = ""
    limit: float | None = None
    ok: bool = False


class JournalData(_Shape):
    started: float | None = None
    ended: float | None = None
    fault_at: float | None = None
    steps: list[_Step] = []
    expectations: list[_Expectation] = []
    bindings: dict[str, str] = {}


class PolicyData(_Shape):
    pairs: list[dict[str, Any]] = []


_DOCUMENT = TypeAdapter(DocumentShape)
_DATA: dict[str, TypeAdapter[Any]] = {"probe": TypeAdapter(ProbeData),
                                       "events": TypeAdapter(EventsData),
                                       "chaos-journal": TypeAdapter(JournalData),
                                       "policy-matrix": TypeAdapter(PolicyData)}


def shape_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, sentence) for every place the document departs from the format; [] when it fits."""
    try:
        _DOCUMENT.validate_python(document)
    except ValidationError as error:
        return [(format_location(d["loc"]), d["msg"].removeprefix("Value error, ")) for d in error.errors()]
    problems = []
    for index, timeline in enumerate(document["timelines"]):
        adapter = _DATA.get(timeline["kind"])
        if adapter is None:
            continue
        try:
            adapter.validate_python(timeline["data"])
        except ValidationError as error:
            problems += [(format_location(("timelines", index, "data", *d["loc"])),
                          d["msg"].removeprefix("Value error, ")) for d in error.errors()]
    return problems


def describe(problems: list[tuple[str, str]]) -> str:
    """The first few problems in one line: `run.id: field required; outcomes[2].outcome: ...`."""
    shown = "; ".join(f"{path}: {sentence[:1].lower()}{sentence[1:]}"
                      for path, sentence in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")
