"""The partition and link-shaping pods on the kubernetes target: created, read, and undone.

A fault is stamped when it is in force, as the pod says (`linkscripts.py`). A partitioned node
cannot be read, so its pod announces the second it will cut `ARM_LEAD_S` ahead, and the harness,
once it has read that, stamps the fault at that second (the node's clock: Talos keeps it in
sync over NTP). A shaped link stays reachable, so its pod says when the shaping is on and the
harness stamps the moment it reads it. A pod that cannot apply its fault says so, and the fault
fails with its words instead of being stamped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.targets.base import TargetError
from harness.targets.kubernetes import linkscripts
from harness.targets.kubernetes.api import KubeAPI
from harness.targets.kubernetes.errors import APIError, APINotFound
from harness.targets.kubernetes.settings import WaitSettings

Obj = linkscripts.Obj

PARTITION_HEAL_AFTER_S = 10
"""A partition with no duration of its own heals itself after this many seconds."""
ARM_LEAD_S = 3
"""How far ahead a partition pod announces its cut: time for the harness to read the log."""
UNDO_GRACE_S = 10
"""The shaping pod's delete waits for its kubelet: the link is restored once the pod is gone."""
SHAPE_MAX_S = 600
"""A shaped link restores itself after this long, even if nobody undoes it (a scenario step
lasts 600 s at most)."""


def partition_seconds(heal_after_s: float | None) -> int:
    """Whole seconds for the pod's timer; never shorter than asked."""
    return PARTITION_HEAL_AFTER_S if heal_after_s is None else max(1, math.ceil(heal_after_s))


@dataclass
class LinkPods:
    api: Callable[[], KubeAPI]
    namespace: Callable[[], str]
    run_id: Callable[[], str]
    image: str
    address_of: Callable[[str], str]
    wait: Callable[[], WaitSettings] = WaitSettings
    sleep: Callable[[float], None] = time.sleep

    def partition_body(self, node: str, heal_after_s: float | None) -> Obj:
        return linkscripts.partition_pod(
            node, address=self.address_of(node), run_id=self.run_id(), image=self.image,
            lead_s=ARM_LEAD_S, heal_after_s=partition_seconds(heal_after_s))

    def shape_body(self, node: str, rate_mbit: float) -> Obj:
        return linkscripts.shape_pod(node, address=self.address_of(node), run_id=self.run_id(),
                                     image=self.image, rate_mbit=rate_mbit, max_s=SHAPE_MAX_S)

    def partition(self, node: str, heal_after_s: float | None) -> tuple[float, Callable[[], None]]:
        """(the second the cut starts, a heal that waits for the pod's own timer): returns once
        that second has come."""
        body = self.partition_body(node, heal_after_s)
        name = str(body["metadata"]["name"])
        self.api().create_pod(self.namespace(), body)
        announced = self._read_until(name, lambda log: linkscripts.CUT_AT.search(log) is not None,
                                     linkscripts.PARTITION_MARK)
        found = linkscripts.CUT_AT.search(announced)
        assert found is not None  # _read_until returned on this very match
        cut_at = float(found.group(2))
        self.sleep(max(0.0, cut_at - time.time()))
        heal_at = cut_at + partition_seconds(heal_after_s)

        def heal() -> None:  # nobody can reach the node meanwhile: wait for its own timer
            self.sleep(max(0.0, heal_at - time.time()) + 1.0)
            self.api().delete_pod(self.namespace(), name)

        return cut_at, heal

    def shape(self, node: str, rate_mbit: float) -> tuple[float, Callable[[], None]]:
        """(when the shaping was seen in force, an undo that deletes the pod, which restores the
        link on SIGTERM, and waits until it is gone)."""
        body = self.shape_body(node, rate_mbit)
        name = str(body["metadata"]["name"])
        self.api().create_pod(self.namespace(), body)
        self._read_until(name, lambda log: f"{linkscripts.SHAPE_MARK} " in log
                         and " Mbit/s" in log, linkscripts.SHAPE_MARK)
        in_force_at = time.time()

        def undo() -> None:
            self.api().delete_pod(self.namespace(), name, grace_period_s=UNDO_GRACE_S)
            self._wait_gone(name)

        return in_force_at, undo

    def _read_until(self, name: str, done: Callable[[str], bool], mark: str) -> str:
        return read_until(self.api(), self.namespace(), name, done=done, mark=mark,
                          wait=self.wait(), sleep=self.sleep)

    def _wait_gone(self, name: str) -> None:
        wait = self.wait()
        deadline = time.monotonic() + wait.pod_timeout_s
        while time.monotonic() < deadline:
            try:
                self.api().read_pod(self.namespace(), name)
            except APINotFound:
                return
            self.sleep(wait.poll_interval_s)
        raise TargetError(f"pod {name} still exists {wait.pod_timeout_s:g} s after its delete: "
                          "its link may still be shaped")


def read_until(api: KubeAPI, namespace: str, name: str, *, done: Callable[[str], bool], mark: str,
               wait: WaitSettings, sleep: Callable[[float], None]) -> str:
    """A fault pod's log once `done` holds; the pod is deleted and the fault fails when it says
    `<mark> FAILED` or stays silent past the pod timeout."""
    deadline = time.monotonic() + wait.pod_timeout_s
    log = ""
    while time.monotonic() < deadline:
        try:
            log = api.pod_logs(namespace, name, tail_lines=20)
        except APIError:
            log = ""  # not started yet: its container has no log
        if f"{mark} {linkscripts.FAILED}" in log:
            break
        if done(log):
            return log
        sleep(wait.poll_interval_s)
    api.delete_pod(namespace, name)
    said = next((line for line in log.splitlines() if linkscripts.FAILED in line), "")
    raise TargetError(f"pod {name}: {said}" if said else
                      f"pod {name} said nothing of its fault within {wait.pod_timeout_s:g} s "
                      "(deleted; nothing was stamped)")
