"""One bounded wait for the lab's components: poll a check until it holds or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.targets.base import TargetError


def wait_until(predicate_detail: Callable[[], tuple[bool, str]], *, timeout_s: float, what: str,
               interval_s: float = 0.5) -> None:
    """Call `predicate_detail` -> (done, detail) every `interval_s` until done; a TargetError it
    raises counts as not done. Raises naming `what` and the last detail at the deadline."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        try:
            ok, last = predicate_detail()
        except TargetError as error:
            ok, last = False, str(error)
        if ok:
            return
        time.sleep(interval_s)
    raise TargetError(f"{what} not reached within {timeout_s:g} s: {last}")
