"""Shipped locustfile: GET / through the load balancer; each backend answers with its own name.

Loaded only by the `locust` process (locust monkey-patches the process it is imported into, so
the harness never imports it). Each request is filed under the name of the backend that answered
(`backend:<name>`), so locust's per-name stats give the share per backend; a failed request keeps
the name `/`.

`--user-rps R` paces each user with locust's `constant_throughput(R)`: the offered rate is then
users x R, and a run that achieves less was held back by the LB or by the generator. 0 (the
default) is a closed loop: each user sends its next request as soon as one ends. In distributed
mode the master hands the option to its workers with the users it assigns them.
"""

from __future__ import annotations

from typing import Any

from locust import FastHttpUser, constant_throughput, events, task


def _options(parser: Any) -> None:
    parser.add_argument("--user-rps", type=float, default=0.0,
                        help="requests per second per user (constant_throughput); 0: closed loop")


events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]


class LoadBalancerUser(FastHttpUser):
    connection_timeout = 2.0
    network_timeout = 2.0

    def wait_time(self) -> float:
        options = self.environment.parsed_options
        rate = float(getattr(options, "user_rps", 0.0) or 0.0)
        # constant_throughput keeps its state on the user, so a fresh function each call paces alike
        return constant_throughput(rate)(self) if rate > 0 else 0.0

    @task
    def get_root(self) -> None:
        with self.client.get("/", name="/", catch_response=True) as response:
            backend = (response.text or "").strip()[:64]
            if response.status_code == 200 and backend:
                response.request_meta["name"] = f"backend:{backend}"
                response.success()
            else:
                response.failure(f"status {response.status_code}, body {backend!r}")
