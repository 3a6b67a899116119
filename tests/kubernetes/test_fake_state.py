"""The fakes share one state file: readers never see half a write, writers never lose one.

Regression for a flaky scenario test: the fake API read the file on every request while the fake
talosctl rewrote it in place, so a torn read now and then dropped a request through the VIP.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from tests.kubernetes.fake_talosctl import locked_state, read_state, write_state

ROOT = Path(__file__).resolve().parents[2]


def test_reads_during_writes_always_parse(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_state(path, {"down": [], "calls": []})
    stop = threading.Event()

    def write_forever() -> None:
        calls: list[str] = []
        while not stop.is_set():
            calls.append("x" * 200)  # a growing file, like the talosctl call log
            write_state(path, {"down": [], "calls": calls[-500:]})

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    try:
        for _ in range(3000):
            assert read_state(path)["down"] == []
    finally:
        stop.set()
        writer.join(5)


def test_concurrent_read_modify_writes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_state(path, {"calls": []})
    appender = (
        "import sys; from pathlib import Path; "
        "from tests.kubernetes.fake_talosctl import locked_state\n"
        "for i in range(40):\n"
        "    with locked_state(Path(sys.argv[1])) as s: s['calls'].append(sys.argv[2])\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", appender, str(path), f"p{n}"], cwd=ROOT)
        for n in range(3)
    ]
    for _ in range(40):
        with locked_state(path) as state:
            state["calls"].append("main")
    assert [p.wait(60) for p in processes] == [0, 0, 0]
    calls = read_state(path)["calls"]
    assert sorted(set(calls)) == ["main", "p0", "p1", "p2"]
    assert len(calls) == 160
