"""The API SLIs need a Kubernetes API: on another target (the lab's API is etcd behind the VIP)
this area is not collected at all, so `pytest suites/` there runs what it can."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.plugin.state import session_profile


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name.startswith("test_") and session_profile(config).target != "kubernetes":
        return True
    return None
