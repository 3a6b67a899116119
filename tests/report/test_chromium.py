"""Open the report in headless Chromium (Debian's `chromium`): no console errors, sections shown."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian package `chromium` is not installed (apt-get install chromium)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    """Page-level problems only; Chromium's own dbus/GPU chatter in a container is not the page's."""
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "net::ERR" in line or "Uncaught" in line]


def test_index_renders_in_chromium(rendered: Path, tmp_path: Path) -> None:
    url = (rendered / "index.html").resolve().as_uri()
    screenshot = tmp_path / "page.png"

    shot = chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2000", url)
    dom = chromium(tmp_path, "--dump-dom", url)

    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.stat().st_size > 10_000
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(shot.stderr + dom.stderr) == []
    for section in ("at-a-glance", "metrics", "trends", "failover", "throughput", "policy", "runs"):
        assert re.search(rf'<section id="{section}"', dom.stdout), section
    assert dom.stdout.count('<svg class="spark"') >= 12
    assert "Latest run" in dom.stdout


def test_a_run_page_renders_in_chromium(rendered: Path, tmp_path: Path) -> None:
    page = sorted((rendered / "runs").glob("*.html"))[-1]

    dom = chromium(tmp_path, "--dump-dom", page.resolve().as_uri())

    assert dom.returncode == 0
    assert console_errors(dom.stderr) == []
    assert '<section id="failover"' in dom.stdout
