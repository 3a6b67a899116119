"""Ctrl-C and SIGTERM during a run.

SIGTERM becomes Ctrl-C, so rollbacks, the target's release and the run file still happen. Each
signal is also remembered: CPython drops what a finalizer (`__del__`, a weakref callback) raises,
KeyboardInterrupt included, so a signal that lands in one would let the run go on as if no one
had asked it to stop. A remembered signal stops the run before its next test, and a run that
reached its end anyway ends `interrupted`.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def install(received: list[str]) -> None:
    """From now on SIGINT and SIGTERM raise KeyboardInterrupt and are added to `received`."""
    if threading.current_thread() is not threading.main_thread():
        return  # handlers can only be installed from the main thread

    def interrupt(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt  # as Python's own handler: pytest prints it as Ctrl-C
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def raise_if_received(received: list[str]) -> None:
    """Stop here if a signal came and its KeyboardInterrupt was lost on the way."""
    if received:
        raise KeyboardInterrupt(f"{received[0]} received, its interrupt lost in a finalizer")
