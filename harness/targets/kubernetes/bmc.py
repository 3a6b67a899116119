"""Turing Pi 2 BMC power driver: cut or restore one slot's power over the BMC's HTTP API.

`GET /api/bmc?opt=set&type=power&node<slot>=0|1` with basic auth (firmware 2.x); the answer is
`{"response": [{"result": "ok"}]}`. The password comes from an environment variable, never from
the profile, and never appears in a message.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.request
from typing import Any

from harness.profile.model import BmcSettings
from harness.targets.base import TargetError


class BmcError(TargetError):
    """The BMC refused, failed or could not be reached."""


class TuringPiBmc:
    def __init__(self, settings: BmcSettings) -> None:
        self.settings = settings

    def slot(self, node: str) -> int:
        try:
            return self.settings.slots[node]
        except KeyError:
            raise BmcError(f"the BMC profile has no slot for node {node}") from None

    def _get(self, query: str) -> Any:
        password = os.environ.get(self.settings.password_env)
        if password is None:
            raise BmcError(f"set ${self.settings.password_env} to the BMC password")
        token = base64.b64encode(f"{self.settings.username}:{password}".encode()).decode()
        request = urllib.request.Request(
            f"{self.settings.url.rstrip('/')}/api/bmc?{query}",
            headers={"Authorization": f"Basic {token}"},
        )
        context = None
        if self.settings.url.startswith("https") and not self.settings.verify_tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        try:
            with urllib.request.urlopen(
                request, timeout=self.settings.timeout_s, context=context
            ) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise BmcError(f"BMC {self.settings.url} answered HTTP {error.code} to {query}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise BmcError(f"BMC {self.settings.url} did not answer {query}: {error}") from None

    def set_power(self, node: str, *, on: bool) -> None:
        answer = self._get(f"opt=set&type=power&node{self.slot(node)}={int(on)}")
        result = _result(answer)
        if result != "ok":
            raise BmcError(f"BMC did not switch node {node} {'on' if on else 'off'}: {result!r}")

    def power_state(self) -> dict[int, bool]:
        """Slot -> powered, as the BMC reports it."""
        result = _result(self._get("opt=get&type=power"))
        states = result[0] if isinstance(result, list) and result else result
        if not isinstance(states, dict):
            raise BmcError("BMC power state answer has no per-node result")
        return {
            int(key.removeprefix("node")): bool(int(value))
            for key, value in states.items()
            if key.startswith("node")
        }


def _result(answer: Any) -> Any:
    """The `result` inside `{"response": [{"result": ...}]}` (a list around it on some firmware)."""
    if isinstance(answer, list) and answer:
        answer = answer[0]
    try:
        return answer["response"][0]["result"]
    except (KeyError, IndexError, TypeError):
        raise BmcError(f"BMC answer has an unexpected shape: {str(answer)[:120]}") from None
