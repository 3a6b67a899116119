"""Our exceptions at the Kubernetes API boundary: one class per kind of failure, Status kept.

The official client raises `ApiException` (any HTTP error), urllib3 errors (connections, timeouts)
and `ConfigException` (kubeconfig). `translate()` maps each to one of ours exactly once, in the
adapter, so nothing above `api.py` ever sees a client exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.targets.base import TargetError

BODY_EXCERPT_CHARS = 200
"""Non-Status bodies (HTML from a proxy, say) are cut to this many characters in messages."""


@dataclass(frozen=True)
class Status:
    """The parsed `Status` object the API server returns with an error (kind: Status)."""

    code: int
    reason: str = ""
    message: str = ""
    details: dict[str, Any] | None = None

    @classmethod
    def parse(cls, code: int, body: object) -> Status | None:
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        if not isinstance(body, str):
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("kind") != "Status":
            return None
        details = data.get("details")
        return cls(
            code=int(data.get("code") or code),
            reason=str(data.get("reason") or ""),
            message=str(data.get("message") or ""),
            details=details if isinstance(details, dict) else None,
        )


class KubeconfigError(HarnessError):
    """No usable kubeconfig: missing file, unknown context, unreadable credentials."""


class APIError(TargetError):
    """The API server answered with an error, or could not be reached at all."""

    retryable = False

    def __init__(
        self, message: str, *, code: int | None = None, status: Status | None = None, what: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.what = what


class APIConnectionError(APIError):
    """No HTTP answer: refused, reset, dropped mid-response, or timed out."""

    retryable = True


class APIUnauthorized(APIError):
    """401: the credentials were rejected (expired token, wrong cluster)."""


class APIForbidden(APIError):
    """403: authenticated, but RBAC or an admission policy forbids it."""


class APINotFound(APIError):
    """404: the object (or its namespace, or the API kind) does not exist."""


class APIConflict(APIError):
    """409: already exists, or a stale resourceVersion."""


class APIInvalid(APIError):
    """422: the object was rejected by validation; `status.details.causes` says why."""


class APITooManyRequests(APIError):
    """429: throttled by API priority and fairness; worth retrying."""

    retryable = True


class APIServerError(APIError):
    """5xx: the server (or etcd behind it) failed; worth retrying."""

    retryable = True


BY_CODE: dict[int, type[APIError]] = {
    401: APIUnauthorized,
    403: APIForbidden,
    404: APINotFound,
    409: APIConflict,
    422: APIInvalid,
    429: APITooManyRequests,
}


def error_for_status(code: int, body: object, *, what: str) -> APIError:
    status = Status.parse(code, body)
    cls = BY_CODE.get(code) or (APIServerError if code >= 500 else APIError)
    if status is not None and status.message:
        detail = status.message
    else:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        detail = " ".join(text.split())[:BODY_EXCERPT_CHARS] or "no body"
    return cls(f"{what}: HTTP {code} ({detail})", code=code, status=status, what=what)
