"""A kubelet for the background fio writer pods on the fake API: it replays what real fio printed
(`tests/unit/data/fio-status-interval.json`, fio 3.33 with the writer's flags) as the pod's log,
each report appearing at its own offset after the pod started, stamped on this machine's clock.

The pod is Running while the replay lasts, then Succeeded (fio ended at its runtime). A pod whose
command does not ask fio for per-second reports, or whose volume is not a Block PVC of the
namespace, prints fio's error and Fails instead, as on a real node. Deleting the pod ends its log.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.targets.kubernetes import storagemanifests as sm
from tests.kubernetes.fakeapi import FakeKubernetes, Obj, running_pod, succeeded_pod

RECORDING = Path(__file__).resolve().parents[1] / "unit" / "data" / "fio-status-interval.json"
ROLE = "fio-writer"


def recorded_reports() -> list[dict[str, object]]:
    text, decoder, found, at = RECORDING.read_text(), json.JSONDecoder(), [], 0
    while (at := text.find("{", at)) >= 0:
        document, at = decoder.raw_decode(text, at)
        found.append(document)
    return found


@dataclass
class FakeFioWriters:
    api: FakeKubernetes
    started: dict[str, float] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    """Pod name -> fio's error, for pods that cannot run as asked."""
    timers: list[threading.Timer] = field(default_factory=list)

    def install(self) -> FakeFioWriters:
        self.api.hooks.append(self._hook)
        before = self.api.log_for
        self.api.log_for = lambda pod: self._log(pod) if self._ours(pod) else before(pod)
        return self

    def close(self) -> None:
        for timer in self.timers:
            timer.cancel()

    @staticmethod
    def _ours(pod: Obj) -> bool:
        return (pod["metadata"].get("labels") or {}).get("harness/role") == ROLE

    def _hook(self, event: str, resource: str, namespace: str, obj: Obj) -> None:
        if resource != "pods" or not self._ours(obj) or event != "create":
            return
        name = obj["metadata"]["name"]
        problem = self._problem(obj, namespace)
        with self.api.lock:
            if problem:
                self.broken[name] = problem
                failed = succeeded_pod(obj)
                for container in failed["containerStatuses"]:
                    container["state"] = {"terminated": {"exitCode": 1, "reason": "Error"}}
                obj["status"] = {**failed, "phase": "Failed"}
                return
            obj["status"] = running_pod(obj)
            self.started[name] = time.time()
        lasts = float(recorded_reports()[-1]["timestamp_ms"]) / 1000 - self._first()  # type: ignore[arg-type]
        timer = threading.Timer(lasts + 0.3, self._succeed, args=(obj,))
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def _succeed(self, pod: Obj) -> None:
        with self.api.lock:
            pod["status"] = succeeded_pod(pod)

    def _problem(self, pod: Obj, namespace: str) -> str:
        container = pod["spec"]["containers"][0]
        argv = container.get("command") or []
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"].get("volumes") or []]
        found = [self.api.get("v1", "persistentvolumeclaims", c, namespace) for c in claims]
        devices = [d["devicePath"] for d in container.get("volumeDevices") or []]
        if not claims or any(c is None or c["spec"].get("volumeMode") != "Block" for c in found) \
                or f"--filename={sm.DEVICE_PATH}" not in argv or sm.DEVICE_PATH not in devices:
            return f"fio: err=19/file:filesetup.c:805, func=open(), error=No such device: {sm.DEVICE_PATH}\n"
        if "--status-interval=1" not in argv or "--output-format=json" not in argv:
            return "fake kubelet: this writer asked fio for no per-second JSON report\n"
        return ""

    @staticmethod
    def _first() -> float:
        return float(recorded_reports()[0]["timestamp_ms"]) / 1000  # type: ignore[arg-type]

    def _log(self, pod: Obj) -> str:
        name = pod["metadata"]["name"]
        if name in self.broken:
            return self.broken[name]
        begun = self.started.get(name)
        if begun is None:
            return ""
        shown = []
        for report in recorded_reports():
            offset = float(report["timestamp_ms"]) / 1000 - self._first()  # type: ignore[arg-type]
            if begun + offset > time.time():
                break
            at_ms = round((begun + offset) * 1000)
            shown.append(json.dumps({**report, "timestamp_ms": at_ms, "timestamp": at_ms // 1000},
                                    indent=2))
        return "\n".join(shown) + ("\n" if shown else "")
