"""Benchmark: the API SLI suite's figures against hand-runs of the same load, on the Kubernetes lab.

    flock /tmp/lab-bench.lock .venv/bin/python -m benchmarks.api_slis_twin \\
        [--rounds 6] [--part load|startup|both]
    .venv/bin/python -m benchmarks.api_slis_twin --from-logs run1.log run2.log ...

Needs the Kubernetes lab up (`harness lab up --profile profiles/lab-kubernetes.yaml`); it never
brings the lab up or down. Per round, the harness's path (`pytest suites/api/test_api_slis.py`,
its figures read from the run file) and the same work by hand with the official `kubernetes`
client alone, through the admin kubeconfig (the VIP), in a namespace of its own:

- load: 8 threads, each its own `ApiClient` (all made before the clock starts, as the suite's
  are), cycle create -> get -> list -> delete of ConfigMaps for 10 s (at most 300 cycles), every
  call timed from request to answer; p50/p99 per verb by numpy's percentile (not the
  harness's). The objects have the suite's shape (three labels, one data key; the pods the same
  requests), written here, not by the harness's manifests.
- startup: per node, one warm-up pod, then 3 pods one after another, each timed from its create
  call to the event, on a watch from the create's resourceVersion, that shows it Ready; the watch
  is closed before the pod is deleted, as the harness closes it.

Each hand round is a process of its own, as the suite's pytest is. The order alternates each
round; at the end each figure's per-round values are compared pooled and paired by round, with
bootstrap intervals (`twinstats`), then each metric over its verbs or nodes. `--from-logs` pools
the rounds that earlier runs printed, without the lab. Every load is bounded in time and count,
every watch in time; the hand namespace is deleted on every path.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from benchmarks.twinlog import Rounds, add_round, rounds_from_logs, summarize
from benchmarks.twinstats import alternating_rounds
from harness.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "lab-kubernetes.yaml"
VERBS = ("create", "get", "list", "delete")
CLIENTS, LOAD_S, MAX_CYCLES = 8, 10.0, 300  # the suite's own
STARTUPS_PER_NODE, STARTUP_TIMEOUT_S = 3, 60
CALL_TIMEOUT_S = 10
LABEL = "twin/role"


def twin_labels(role: str) -> dict[str, str]:
    """Labels of the suite's objects' shape (three, values of like length): what the API server
    stores, sends and selects on is the same size on both sides."""
    return {"app.kubernetes.io/managed-by": "api-slis-twin", "twin/run-id": f"twin-{uuid.uuid4()}",
            LABEL: role}


def harness_figures(selected: str) -> dict[str, float]:
    """The suite's figures from its run file: `<metric>[<verb or node>]` -> value."""
    with tempfile.TemporaryDirectory() as results:
        command = [sys.executable, "-m", "pytest", "suites/api/test_api_slis.py", "-k", selected,
                   "--profile", str(PROFILE), "--keep-lab", "--no-report", "-q", "-p", "no:cacheprovider",
                   "--results-dir", results]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=600)
        [run_file] = Path(results).glob("run-*.json")
        rows = json.loads(run_file.read_text())["measurements"]
    return {f"{row['metric']}[{row['tags'].get('verb') or row['tags'].get('node')}]": float(row["value"])
            for row in rows if row["metric"].startswith(("api.load.p", "pod.startup."))}


@contextmanager
def hand_namespace(kubeconfig: str) -> Iterator[str]:
    core = k8s.CoreV1Api(k8s_config.new_client_from_config(kubeconfig))
    name = f"api-twin-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name, "labels": twin_labels("namespace")}})
    for _ in range(100):  # the service account controller makes "default" shortly after
        if core.list_namespaced_service_account(name).items:
            break
        time.sleep(0.1)
    try:
        yield name
    finally:
        core.delete_namespace(name, _request_timeout=CALL_TIMEOUT_S)


def hand_load(kubeconfig: str, namespace: str) -> dict[str, float]:
    """The suite's load by hand: p50/p99 per verb, keyed as the run file names them."""
    latencies: dict[str, list[float]] = {verb: [] for verb in VERBS}
    errors: list[str] = []
    lock = threading.Lock()
    labels = twin_labels("api-load")
    selector = f"{LABEL}={labels[LABEL]}"
    # Every client is made before the clock starts, as the harness makes its clients: made in
    # the threads, the kubeconfig's loading and TLS contexts ran beside the first calls.
    cores = [k8s.CoreV1Api(k8s_config.new_client_from_config(kubeconfig)) for _ in range(CLIENTS)]
    deadline = time.monotonic() + LOAD_S

    def drive(index: int) -> None:
        core = cores[index]
        calls = {
            "create": lambda name: core.create_namespaced_config_map(
                namespace, {"metadata": {"name": name, "labels": labels}, "data": {"value": name}},
                _request_timeout=CALL_TIMEOUT_S),
            "get": lambda name: core.read_namespaced_config_map(name, namespace,
                                                                _request_timeout=CALL_TIMEOUT_S),
            "list": lambda name: core.list_namespaced_config_map(namespace, label_selector=selector,
                                                                 _request_timeout=CALL_TIMEOUT_S),
            "delete": lambda name: core.delete_namespaced_config_map(name, namespace,
                                                                     _request_timeout=CALL_TIMEOUT_S),
        }
        for cycle in range(MAX_CYCLES):
            if time.monotonic() >= deadline:
                return
            for verb in VERBS:
                began = time.perf_counter()
                try:
                    calls[verb](f"load-{index}-{cycle}")
                except Exception as error:  # counted and shown, as the suite counts them
                    with lock:
                        errors.append(f"{verb}: {error}"[:200])
                    if verb == "create":  # nothing to get or delete: the next cycle
                        break
                    continue
                with lock:
                    latencies[verb].append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=drive, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_S + 60)
    if errors:
        print(f"  hand load: {len(errors)} errors, first: {errors[0]}", flush=True)
    figures = {}
    for verb, values in latencies.items():
        figures[f"api.load.p50[{verb}]"] = float(numpy.percentile(values, 50))
        figures[f"api.load.p99[{verb}]"] = float(numpy.percentile(values, 99))
    return figures


def _ready(pod: Any) -> bool:
    conditions = pod.status.conditions or []
    return pod.status.phase == "Running" and any(c.type == "Ready" and c.status == "True" for c in conditions)


def hand_startup(kubeconfig: str, namespace: str, node: str, image: str) -> list[float]:
    """Create -> Ready of a warm-up pod and 3 more on `node`, each deleted before the next."""
    core = k8s.CoreV1Api(k8s_config.new_client_from_config(kubeconfig))
    found = []
    for index in range(STARTUPS_PER_NODE + 1):
        name = f"startup-{node}-{index}"
        body = {"metadata": {"name": name, "labels": twin_labels("startup")},
                "spec": {"nodeName": node, "restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                         "automountServiceAccountToken": False, "tolerations": [{"operator": "Exists"}],
                         "containers": [{"name": "main", "image": image, "command": ["sleep", "600"],
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}
        began = time.perf_counter()
        created = core.create_namespaced_pod(namespace, body, _request_timeout=CALL_TIMEOUT_S)
        since = created.metadata.resource_version
        try:
            ready_after = None
            stream = k8s_watch.Watch().stream(core.list_namespaced_pod, namespace, resource_version=since,
                                              field_selector=f"metadata.name={name}",
                                              timeout_seconds=STARTUP_TIMEOUT_S)
            for event in stream:
                if _ready(event["object"]):
                    ready_after = time.perf_counter() - began
                    break
            # Closed now, as the harness's watch is: left open until the next pod's watch, its
            # connection went back to the pool closed, and that watch paid a new TLS handshake
            # inside its timed window (the hand run read 3-5 ms slower than the harness).
            stream.close()
            if ready_after is None:
                raise RuntimeError(f"pod {name} on {node} not Ready within {STARTUP_TIMEOUT_S} s")
            if index > 0:
                found.append(ready_after)
        finally:
            core.delete_namespaced_pod(name, namespace, grace_period_seconds=0,
                                       _request_timeout=CALL_TIMEOUT_S)
    return found


def hand_round(kubeconfig: str, part: str, nodes: list[str], image: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    with hand_namespace(kubeconfig) as namespace:
        if part in ("load", "both"):
            figures.update(hand_load(kubeconfig, namespace))
        if part in ("startup", "both"):
            for node in nodes:
                latencies = hand_startup(kubeconfig, namespace, node, image)
                figures[f"pod.startup.max[{node}]"] = max(latencies)
                figures[f"pod.startup.p50[{node}]"] = statistics.median(latencies)
    return figures


def hand_process(part: str) -> dict[str, float]:
    """One hand round in a process of its own, as a hand run is and as the suite's pytest is:
    a process that ran earlier rounds has its code paths and imports warm, a new one not."""
    command = [sys.executable, "-m", "benchmarks.api_slis_twin", "--part", part, "--hand-once"]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    return {key: float(value) for key, value in json.loads(done.stdout.splitlines()[-1]).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--part", choices=("load", "startup", "both"), default="both")
    parser.add_argument("--from-logs", nargs="+", metavar="LOG",
                        help="no run: summarize the rounds earlier runs printed (their saved output)")
    parser.add_argument("--hand-once", action="store_true",
                        help="one hand round in this process, its figures printed as JSON (for the rounds)")
    args = parser.parse_args()
    if args.from_logs:
        earlier = rounds_from_logs([Path(log).read_text() for log in args.from_logs])
        rounds_read = len(next(iter(earlier.values()), ([], []))[0])
        print(f"over {rounds_read} round(s) of {len(args.from_logs)} log(s):")
        summarize(earlier)
        return 0
    profile = load_profile(PROFILE)
    kubeconfig = str(profile.kubernetes.kubeconfig)
    nodes = [node.name for node in profile.nodes]
    if args.hand_once:
        print(json.dumps(hand_round(kubeconfig, args.part, nodes, profile.images.debug)))
        return 0
    selected = {"load": "latency_under_load", "startup": "pod_startup", "both": ""}[args.part]
    pooled: Rounds = {}
    rounds = alternating_rounds(args.rounds, lambda: harness_figures(selected),
                                lambda: hand_process(args.part))
    for round_, first, harness, hand in rounds:
        add_round(pooled, round_, first, harness, hand)
    print(f"over {args.rounds} round(s), per-round figures:")
    summarize(pooled)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
