"""S3 keys, tokens and kubeconfig contents planted in a run never appear in any page."""

from __future__ import annotations

import json
from pathlib import Path

from harness.report import build_comparison, build_report
from harness.results.store import read_run_file, run_file_path, write_json_atomically
from harness.results.synthetic import History, write_history

SECRETS = ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY", "hunter2-pass",
           "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl", "LS0tLS1CRUdJTiBQUklW",
           "sk-planted-token-123"]
KUBECONFIG = ("apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\nusers:\n"
              "- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBQUklW\n")


def plant(runs_dir: Path, run_id: str) -> None:
    path = run_file_path(runs_dir, run_id)
    document = read_run_file(path)
    run = document["run"]
    run["label"] = "nightly password=hunter2-pass"
    run["components"].update({"s3_access_key": SECRETS[0], "s3_secret_key": SECRETS[1],
                              "kubeconfig": KUBECONFIG, "ceph": "19.2.0"})
    document["outcomes"][0].update(outcome="failed", message=f"s3 upload failed for {SECRETS[0]}"
                                   f" with token={SECRETS[5]}; kubeconfig:\n{KUBECONFIG}")
    document["measurements"][0]["tags"]["auth_token"] = SECRETS[5]
    for timeline in document["timelines"]:
        timeline["data"]["credentials"] = {"password": SECRETS[2]}
        for event in timeline["data"].get("events", []):
            event["detail"] = f"Authorization: Bearer {SECRETS[3]}"
    write_json_atomically(path, document)


def test_planted_secrets_never_reach_a_page(tmp_path: Path) -> None:
    ids = write_history(tmp_path / "runs", History(runs=12, metrics=4, seed=3))
    plant(tmp_path / "runs", ids[-1])
    plant(tmp_path / "runs", ids[-2])

    build_report(tmp_path / "runs", tmp_path / "out")
    build_comparison(tmp_path / "runs", tmp_path / "out", ids[-2], ids[-1])

    pages = list((tmp_path / "out").rglob("*.html"))
    assert len(pages) == 12 + 2
    for page in pages:
        html = page.read_text()
        leaked = [s for s in SECRETS if s in html]
        assert not leaked, (page.name, leaked)
    index = (tmp_path / "out" / "index.html").read_text()
    assert "[redacted]" in index
    assert "19.2.0" in index
    assert json.dumps(SECRETS[0]) in (tmp_path / "runs" / f"run-{ids[-1]}.json").read_text()
