"""An audit hook that writes down every file a Python process opens or lists in a watched tree.

`test_selfcontained.py` installs this file as `sitecustomize.py` on PYTHONPATH, so it runs at
the start of the pytest it launches and of every Python process that pytest starts in turn.
Settings come from the environment (nothing happens without them):

- `OUTSIDE_READS_REPORT`: the file to append `<event> <path>` lines to, one per path and process;
- `OUTSIDE_READS_WATCHED`: the tree to watch (the directory holding the original checkout);
- `OUTSIDE_READS_ALLOWED`: `os.pathsep`-separated trees inside it that may be read (the venv).
"""

from __future__ import annotations

import os
import sys
from typing import Any

EVENTS = {"open": 0, "os.listdir": 0, "os.scandir": 0, "glob.glob": 0}  # event -> index of its path


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def install(report: str, watched: str, allowed: list[str]) -> None:
    # Opened before the hook exists, so writing a line never raises an event of its own.
    fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    seen: set[str] = set()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in EVENTS or not args:
            return
        target = args[EVENTS[event]]
        if target is None or isinstance(target, int):  # the working directory, or a descriptor
            return
        try:
            path = os.path.abspath(os.fsdecode(os.fspath(target)))
        except TypeError:
            return
        if path in seen or not _inside(path, watched) or any(_inside(path, a) for a in allowed):
            return
        seen.add(path)
        os.write(fd, f"{event} {path}\n".encode(errors="replace"))

    sys.addaudithook(hook)


if os.environ.get("OUTSIDE_READS_REPORT"):
    install(os.environ["OUTSIDE_READS_REPORT"], os.environ["OUTSIDE_READS_WATCHED"],
            [a for a in os.environ.get("OUTSIDE_READS_ALLOWED", "").split(os.pathsep) if a])
