"""Shipped locustfile: GET / through the load balancer; each backend answers with its own name.

Loaded only by the `locust` process (locust monkey-patches the process it is imported into, so
the harness never imports it). Each request is filed under the name of the backend that answered
(`backend:<name>`), so locust's per-name stats give the share per backend; a failed request keeps
the name `/`.
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class LoadBalancerUser(FastHttpUser):
    wait_time = constant(0)  # closed loop: each user sends its next request as soon as one ends
    connection_timeout = 2.0
    network_timeout = 2.0

    @task
    def get_root(self) -> None:
        with self.client.get("/", name="/", catch_response=True) as response:
            backend = (response.text or "").strip()[:64]
            if response.status_code == 200 and backend:
                response.request_meta["name"] = f"backend:{backend}"
                response.success()
            else:
                response.failure(f"status {response.status_code}, body {backend!r}")
