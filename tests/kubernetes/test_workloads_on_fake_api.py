"""Workloads against the fake API over HTTP: pinned pods and Jobs, waits with progress and
timeouts, logs, exec over a WebSocket, and the per-node preflight."""

from __future__ import annotations

import pytest

from harness.targets.kubernetes import manifests
from harness.targets.kubernetes.api import KubeAPI, Obj
from harness.targets.kubernetes.settings import WaitSettings
from harness.targets.kubernetes.workloads import WorkloadError, Workloads
from tests.kubernetes.fakeapi import FakeKubernetes, succeeded_pod

RUN = "20250101T000000Z-abc123"
NS = "harness-run"
FAST_WAIT = WaitSettings(poll_interval_s=0.0, progress_every_s=0.0, pod_timeout_s=0.5,
                         job_timeout_s=0.5)


@pytest.fixture
def workloads(fake: FakeKubernetes, api: KubeAPI) -> Workloads:
    fake.put("v1", "namespaces", {"metadata": {"name": NS}})
    return Workloads(api=lambda: api, wait=FAST_WAIT)


def image_pull_error(pod: Obj) -> Obj:
    return {"phase": "Pending", "containerStatuses": [
        {"name": "main", "image": pod["spec"]["containers"][0]["image"], "imageID": "",
         "ready": False, "restartCount": 0,
         "state": {"waiting": {"reason": "ImagePullBackOff",
                               "message": "no match for platform in manifest"}}}]}


def test_job_pinned_to_its_node_runs_and_returns_its_logs(fake: FakeKubernetes,
                                                         workloads: Workloads) -> None:
    fake.log_for = lambda pod: "hello from " + pod["spec"]["nodeName"]
    body = manifests.job("hello-kwk1", run_id=RUN, image="img", command=["echo"], node="kwk1",
                         deadline_s=30)
    outcome = workloads.run_job(NS, body)
    assert outcome.succeeded and outcome.logs == "hello from kwk1"
    assert fake.get("batch/v1", "jobs", "hello-kwk1", NS)["spec"]["template"]["spec"]["nodeName"] == "kwk1"
    assert fake.writes() == [f"POST /apis/batch/v1/namespaces/{NS}/jobs"]


def test_a_failed_job_reports_failure_not_success(fake: FakeKubernetes, workloads: Workloads) -> None:
    original = fake._create

    def failing(*args: object) -> tuple[int, Obj]:
        code, obj = original(*args)  # type: ignore[arg-type]
        if args[2] == "jobs":
            obj["status"] = {"failed": 1, "conditions": [
                {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}
        return code, obj

    fake._create = failing  # type: ignore[method-assign]
    body = manifests.job("late", run_id=RUN, image="img", command=["sleep"], node="kcp1", deadline_s=1)
    outcome = workloads.run_job(NS, body)
    assert not outcome.succeeded and outcome.reason == "DeadlineExceeded"


def test_waiting_for_a_server_pod_until_ready(fake: FakeKubernetes, workloads: Workloads) -> None:
    body = manifests.pod("srv", run_id=RUN, image="img", command=["serve"], node="kcp2",
                         role="netpod")
    workloads.start_pod(NS, body)
    found = workloads.wait_pod(NS, "srv")
    assert found["status"]["phase"] == "Running" and found["status"]["podIP"].startswith("10.244.")


def test_a_pod_that_never_gets_ready_times_out_with_progress(fake: FakeKubernetes, api: KubeAPI) -> None:
    fake.put("v1", "namespaces", {"metadata": {"name": NS}})
    fake.pod_status = lambda pod: {"phase": "Pending"}
    lines: list[str] = []
    workloads = Workloads(api=lambda: api, wait=FAST_WAIT, progress=lines.append)
    workloads.start_pod(NS, manifests.pod("slow", run_id=RUN, image="img", command=["x"], node="kcp1"))
    with pytest.raises(WorkloadError, match=r"pod harness-run/slow not done within 0.5 s \(last: Pending\)"):
        workloads.wait_pod(NS, "slow")
    assert lines and lines[0].startswith("waiting for pod harness-run/slow: Pending")


def test_an_image_pull_error_fails_at_once(fake: FakeKubernetes, workloads: Workloads) -> None:
    fake.pod_status = image_pull_error
    workloads.start_pod(NS, manifests.pod("bad", run_id=RUN, image="img", command=["x"], node="kcp1"))
    with pytest.raises(WorkloadError, match="ImagePullBackOff: no match for platform"):
        workloads.wait_pod(NS, "bad")


def test_exec_returns_output_and_exit_code(fake: FakeKubernetes, workloads: Workloads) -> None:
    seen: list[tuple[str, str, list[str]]] = []

    def handler(namespace: str, pod: str, argv: list[str]) -> tuple[str, str, int]:
        seen.append((namespace, pod, argv))
        return "out\n", "err\n", 3 if argv[0] == "false" else 0

    fake.exec_handler = handler
    workloads.start_pod(NS, manifests.pod("p", run_id=RUN, image="img", command=["x"], node="kcp1",
                                          role="netpod"))
    ok = workloads.exec(NS, "p", ["sh", "-c", "echo out"])
    failed = workloads.exec(NS, "p", ["false"])
    assert (ok.stdout, ok.stderr, ok.exit_code) == ("out\n", "err\n", 0)
    assert failed.exit_code == 3
    assert seen == [(NS, "p", ["sh", "-c", "echo out"]), (NS, "p", ["false"])]


def test_preflight_reports_the_node_where_the_image_cannot_run(fake: FakeKubernetes,
                                                               workloads: Workloads) -> None:
    fake.pod_status = lambda pod: (image_pull_error(pod) if pod["spec"]["nodeName"] == "kwk1"
                                   and pod["spec"]["containers"][0]["image"] == "iperf3:arm"
                                   else succeeded_pod(pod))
    problems = workloads.preflight(namespace=NS, run_id=RUN, nodes=["kcp1", "kwk1"],
                                   images={"agnhost:2.52": ["/agnhost", "help"],
                                           "iperf3:arm": ["iperf3", "--version"]})
    assert [(p.node, p.image) for p in problems] == [("kwk1", "iperf3:arm")]
    assert "ImagePullBackOff" in str(problems[0])
    assert fake.names("v1", "pods", NS) == []  # every preflight pod deleted
    created = [w for w in fake.writes() if w.startswith("POST")]
    assert len(created) == 4
