"""Settings of the API adapter: every field has a default, a unit in its name and a docstring."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientSettings:
    """How the adapter talks to the API server: timeouts, retries, backoff."""

    connect_timeout_s: float = 3.0
    """Seconds to establish a TCP (and TLS) connection to the API server."""
    read_timeout_s: float = 10.0
    """Seconds to wait for a response once connected (per attempt)."""
    attempts: int = 5
    """Tries per request in total, first one included; only retryable failures try again."""
    backoff_s: float = 0.2
    """Seconds before the second attempt; doubles after each further failure."""
    backoff_max_s: float = 2.0
    """Upper bound in seconds for one backoff pause."""
    reachability_timeout_s: float = 3.0
    """Seconds `prepare()` waits for the first answer (`/version`) before calling the API unreachable."""

    def backoff_before(self, attempt: int) -> float:
        """Pause in seconds before `attempt` (2, 3, ...)."""
        return float(min(self.backoff_s * 2 ** max(attempt - 2, 0), self.backoff_max_s))


@dataclass(frozen=True)
class WaitSettings:
    """How workloads are awaited: polling and progress."""

    poll_interval_s: float = 1.0
    """Seconds between two reads of a Job's or Pod's status."""
    progress_every_s: float = 10.0
    """Seconds between two progress lines in the log while waiting."""
    pod_timeout_s: float = 120.0
    """Seconds a pod may take from creation to Running/Succeeded (image pulls included)."""
    namespace_gone_timeout_s: float = 60.0
    """Seconds the end of a run waits for its namespace to be gone before it reports what holds it."""
    job_timeout_s: float = 600.0
    """Seconds a Job may take to complete, by default."""
