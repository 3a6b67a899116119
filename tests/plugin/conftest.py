"""Plugin tests run pytest in a subprocess against a throwaway project with a fake target."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FAKE_TARGET = '''
from harness.targets.base import ControlPlane, Faults, NodeInfo, Target


class FakeTarget(Target):
    kind = "fake"

    def nodes(self):
        return [NodeInfo(n.name, str(n.address), tuple(n.roles), True) for n in self.profile.nodes]

    @property
    def controlplane(self) -> ControlPlane:
        raise NotImplementedError

    @property
    def faults(self) -> Faults:
        raise NotImplementedError

    def components(self):
        return {"fake-etcd": "3.4.0"}
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the shipped lab profile, a fake target module and a suites/ folder."""
    (pytester.path / "profiles").mkdir()
    shutil.copy(REPO / "profiles" / "lab.yaml", pytester.path / "profiles" / "lab.yaml")
    pytester.makepyfile(fake_target=FAKE_TARGET)
    (pytester.path / "suites").mkdir()
    pytester.syspathinsert()
    return pytester


def harness_args(*extra: str, report: bool = False) -> list[str]:
    base = ["--target", "fake_target:FakeTarget", "-p", "no:cacheprovider"]
    return [*base, *([] if report else ["--no-report"]), *extra]
