"""Secrets are redacted by key name and by what the value looks like."""

from __future__ import annotations

from harness.results.scrub import REDACTED, scrub, scrub_text

KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://10.0.0.1:6443
users:
- name: admin
  user:
    client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg==
"""


def test_secret_named_keys_are_redacted_at_any_depth() -> None:
    document = {"s3": {"access_key": "AK", "Secret_Access_Key": "SK", "bucket": "b"},
                "items": [{"apiToken": "t"}, {"password": "p", "user": "u"}],
                "Credentials": {"x": 1}, "kubeconfig": "..."}

    cleaned = scrub(document)

    assert cleaned == {"s3": {"access_key": REDACTED, "Secret_Access_Key": REDACTED, "bucket": "b"},
                       "items": [{"apiToken": REDACTED}, {"password": REDACTED, "user": "u"}],
                       "Credentials": REDACTED, "kubeconfig": REDACTED}


def test_secret_looking_values_are_redacted_in_free_text() -> None:
    text = ("boto failed with AKIAIOSFODNN7EXAMPLE, password=hunter2 and "
            "Authorization: Bearer abcdefghijklmnop.qrstu via https://admin:pw@s3.lab/x")

    cleaned = scrub_text(text)

    for secret in ("AKIAIOSFODNN7EXAMPLE", "hunter2", "abcdefghijklmnop", "admin:pw"):
        assert secret not in cleaned
    assert "password=" in cleaned  # the name stays so the reader knows what was there


def test_kubeconfig_content_is_dropped() -> None:
    cleaned = scrub_text("kubectl failed, config was:\n" + KUBECONFIG)

    assert "LS0tLS1" not in cleaned
    assert "kubectl failed" in cleaned


def test_ordinary_values_pass_through() -> None:
    document = {"cilium": "1.16.3", "node": "cp1", "value": 3.5, "ok": True}

    assert scrub(document) == document
