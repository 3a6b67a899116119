"""Signals during a run: SIGTERM interrupts like Ctrl-C; nothing interrupts the rollbacks."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from harness.chaos.errors import Terminated


def _in_main_thread() -> bool:
    # Handlers can only be installed from the main thread; elsewhere the caller's own apply.
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` (a KeyboardInterrupt) for the block; restore the old handler."""
    if not _in_main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def shielded() -> Iterator[list[str]]:
    """Defer SIGINT and SIGTERM for the block; yields the names of the signals that arrived."""
    deferred: list[str] = []
    if not _in_main_thread():
        yield deferred
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        deferred.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield deferred
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
