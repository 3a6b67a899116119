"""The tests need nothing beside the checkout: a clone holds every file they read (issue 11).

Two proofs. No tracked file names a path outside the checkout. And the tests that read reference
data pass, none skipped, from a copy of the tracked files alone in an empty directory, while an
audit hook (`outside_reads.py`, in that pytest and in every Python process it starts) writes down
each file opened or listed in the tree that holds the real checkout, its venv excepted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
THIS = Path(__file__).resolve().relative_to(REPO).as_posix()
# What reads from beside the checkout looked like before (`../shared`, `/work/shared`).
OUTSIDE = ("../shared", "/work/")
# Every test that reads upstream data (tests/reference, harness/reference) or a recorded sample.
READERS = (
    "tests/unit/test_netpol_nca.py",
    "tests/unit/test_netpol_cilium.py",
    "tests/unit/test_workloads_iperf3.py",
    "tests/kubernetes/test_storage_manifests.py",
    "tests/kubernetes/test_network_manifests_valid.py",
    "tests/kubernetes/test_storage_suites_on_fakes.py::test_dry_run_plans_valid_storage_objects_and_sends_nothing",
)


def tracked_files() -> list[str]:
    """What a clone of the next commit holds: the index, less files deleted in the work tree."""
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout: which files a clone holds is unknown")
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


def test_no_tracked_file_names_a_path_outside_the_checkout() -> None:
    # Documentation may say where data came from; code and data may not point there.
    found = [f"{name}: {needle}" for name in tracked_files() if name != THIS and not name.endswith(".md")
             for needle in OUTSIDE if needle.encode() in (REPO / name).read_bytes()]
    assert found == []


def test_the_reference_readers_pass_from_a_copy_of_the_tracked_files(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    for name in tracked_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, clone / name, follow_symlinks=False)
    hook = tmp_path / "hook"
    hook.mkdir()
    shutil.copy(Path(__file__).with_name("outside_reads.py"), hook / "sitecustomize.py")
    home, report, junit = tmp_path / "home", tmp_path / "outside-reads.txt", tmp_path / "junit.xml"
    home.mkdir()
    # The directory holding the checkout is watched, not the filesystem root (a checkout at /x).
    watched = REPO.parent if REPO.parent != Path(REPO.anchor) else REPO
    allowed = [sys.prefix, sys.base_prefix, tempfile.gettempdir(), str(clone)]
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(hook), str(clone)]),  # harness from the clone, not -e .
           "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(home),
           "OUTSIDE_READS_REPORT": str(report), "OUTSIDE_READS_WATCHED": str(watched),
           "OUTSIDE_READS_ALLOWED": os.pathsep.join(allowed)}
    for key in [k for k in env if k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))]:
        del env[key]  # this test may run in an xdist worker; the pytest it starts is no worker
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--junitxml={junit}", *READERS],
        cwd=clone, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, ("an untracked file is missing from the copy? (git add it)\n"
                                  + done.stdout[-4000:] + done.stderr[-2000:])
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    assert counts["tests"] > 0 and counts["failures"] == counts["errors"] == counts["skipped"] == 0, counts
    modules = {reader.split("::")[0].removesuffix(".py").replace("/", ".") for reader in READERS}
    classnames = {case.get("classname", "") for case in suite.iter("testcase")}
    assert {m for m in modules if any(c == m or c.startswith(m + ".") for c in classnames)} == modules
    assert report.exists(), "the audit hook never ran (sitecustomize.py not imported?)"
    outside = report.read_text().splitlines()
    assert outside == [], f"read beside the checkout ({watched}) instead of from the copy"
