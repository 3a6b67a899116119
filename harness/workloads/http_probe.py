"""One HTTP GET through a load balancer: the unit of its availability; returns the backend's name.

http.client, not urllib: a proxy from the environment must never see lab traffic.
"""

from __future__ import annotations

import http.client

from harness.errors import HarnessError


class HttpProbeError(HarnessError):
    """The GET failed or did not answer 200."""


def get_backend(host: str, port: int, *, timeout_s: float = 1.0) -> str:
    connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode(errors="replace").strip()
    except OSError as error:
        raise HttpProbeError(f"GET http://{host}:{port}/ failed: {error}") from error
    finally:
        connection.close()
    if response.status != 200:
        raise HttpProbeError(f"GET http://{host}:{port}/ answered {response.status}")
    return body
