"""warp on a Rook cluster (`KubernetesStorage.run_warp`): one Job per run, on the S3 benchmark's
client node, against the bucket's own endpoint (the in-cluster RGW Service its ObjectBucketClaim
names); here, what may be run and what its finished Job's log says.

The image is the profile's `images.warp` (warp's release image by default); the keys come from
the claim's Secret through `secretKeyRef`, never argv. A pod's log holds warp's stdout and
stderr together: the report is the JSON document that opens a line with `{` and carries
`by_op_type`; lines around it are left out. With `--json`, warp's fatal errors are JSON too
(`{"error": {"message", "cause": {"message"}}, "status": "error"}`, cli/print.go): a failed
run's sentence quotes them. The Job is deleted on every path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.targets.base import TargetError
from harness.targets.kubernetes.workloads import JobOutcome
from harness.targets.storage import Bucket
from harness.workloads import warp
from harness.workloads.warp import WarpError, WarpResult, WarpSpec

LINE_OPENS_OBJECT = re.compile(r"^\{", re.MULTILINE)


def documents_in(log: str) -> list[tuple[str, dict[str, Any]]]:
    """Every JSON object that opens a line of the log: its text, and it parsed."""
    decoder = json.JSONDecoder()
    found = []
    for start in (m.start() for m in LINE_OPENS_OBJECT.finditer(log)):
        try:
            document, end = decoder.raw_decode(log, start)
        except ValueError:
            continue
        if isinstance(document, dict):
            found.append((log[start:end], document))
    return found


def report_in(log: str) -> str | None:
    """warp's `--json` report out of a pod's log, or None when the log holds none."""
    return next((text for text, document in documents_in(log) if "by_op_type" in document), None)


def warp_error_in(log: str) -> str | None:
    """What warp said when it gave up (its `--json` error document), or None."""
    for _, document in documents_in(log):
        said = document.get("error")
        if document.get("status") == "error" and isinstance(said, dict):
            cause = (said.get("cause") or {}).get("message") or ""
            return ": ".join(str(part) for part in (said.get("message"), cause) if part)
    return None


def check_target(bucket: Bucket, spec: WarpSpec) -> None:
    """warp goes only to the bucket it was given keys for, at that bucket's endpoint."""
    if spec.endpoint != bucket.endpoint or spec.bucket != bucket.name:
        raise TargetError(f"warp {spec.op} is pointed only at its bucket's own endpoint "
                          f"({bucket.endpoint}, {bucket.name}), not {spec.endpoint} ({spec.bucket})")


def result_of(outcome: JobOutcome, spec: WarpSpec, *, where: str) -> WarpResult:
    """The finished Job's report, or a sentence saying why there is none (`where`: its pod)."""
    what = f"warp {spec.op}"
    if not outcome.succeeded:
        said = warp_error_in(outcome.logs) or outcome.log_tail() or "no log"
        raise TargetError(f"{what} failed ({outcome.reason or 'failed'}) in {where}: {said}")
    report = report_in(outcome.logs)
    if report is None:
        raise TargetError(f"{what} printed no JSON report in {where}: {outcome.log_tail() or 'no log'}")
    try:
        return warp.parse_warp(report)
    except WarpError as error:
        raise TargetError(f"{what} in {where}: {error}") from None
