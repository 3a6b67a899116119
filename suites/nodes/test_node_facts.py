"""Node facts through a testinfra `Host` per node (`target.host(node)`), on both targets.

Link speed, defined honestly per target: a real NIC reports its negotiated speed in
`/sys/class/net/<if>/speed`; a lab veth has no speed of its own (it reports whatever the driver
invents), its speed *is* the htb shaping on it, which runs at 1514/1538 of the line rate
(tc counts L2 frames, the wire adds preamble, FCS and gap), so the line rate is the htb rate
times 1538/1514. Either must be within 2 % of the profile's `switch.link_mbit`.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from harness.profile import Profile
from harness.targets.base import Target

WIRE_FRACTION = 1514 / 1538
RATE_TOLERANCE = 0.02
CLOCK_TOLERANCE_S = 1.0  # `date +%s` has one-second resolution on busybox
MIN_FREE_GIB = 2.0
"""Room the harness needs on a node's data filesystem (lab: its state dir; Talos: /var)."""
_UNITS = {"bit": 1e-6, "kbit": 1e-3, "mbit": 1.0, "gbit": 1e3}


@pytest.fixture
def host(target: Target, any_node: str) -> Any:
    return target.host(any_node)


def interface_of(host: Any, address: str) -> str:
    for line in host.check_output("ip -o -4 addr show").splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3].split("/")[0] == address:
            return str(fields[1]).split("@")[0]
    raise AssertionError(f"no interface carries {address}")


def line_rate_mbit(host: Any, iface: str) -> tuple[float, str]:
    """(line rate, how it was read): htb shaping when present, else the NIC's speed."""
    shaped = host.run(f"tc class show dev {iface}")
    match = re.search(r"class htb \S+ root .*?rate (\d+(?:\.\d+)?)([KMG]?bit)", shaped.stdout)
    if match:
        mbit = float(match[1]) * _UNITS[match[2].lower()]
        return mbit / WIRE_FRACTION, f"htb rate {match[1]}{match[2]} on {iface}"
    speed = host.file(f"/sys/class/net/{iface}/speed").content_string.strip()
    return float(speed), f"/sys/class/net/{iface}/speed"


def test_link_speed_and_mtu_match_the_profile(host: Any, any_node: str, profile: Profile) -> None:
    iface = interface_of(host, str(profile.node(any_node).address))
    mtu = int(host.file(f"/sys/class/net/{iface}/mtu").content_string)
    rate, source = line_rate_mbit(host, iface)
    expected = profile.switch.link_mbit
    assert mtu == profile.switch.mtu, f"{any_node} {iface} MTU {mtu}, profile says {profile.switch.mtu}"
    assert abs(rate - expected) <= RATE_TOLERANCE * expected, (
        f"{any_node} {iface} runs at {rate:.0f} Mbit/s ({source}), profile says {expected}")


def _release(kernel: str) -> tuple[int, ...]:
    """`6.1.0-27-arm64` -> (6, 1); what cannot be read sorts below every real release."""
    found = re.match(r"(\d+)\.(\d+)", kernel)
    return (int(found[1]), int(found[2])) if found else (0,)


def test_kernel_and_os_recorded(host: Any, any_node: str, profile: Profile, record_timeline: Any) -> None:
    """Recorded for the report, and held to the profile: a kernel no older than `min_kernel`
    (what Cilium needs), an OS that matches `node_os` when the profile names one."""
    kernel = host.check_output("uname -r").strip()
    os_release = host.run("cat /host/etc/os-release 2>/dev/null || cat /etc/os-release").stdout
    pretty = re.search(r'^PRETTY_NAME="?([^"\n]*)', os_release, re.M)
    facts = {"node": any_node, "kernel": kernel, "os": pretty[1] if pretty else "unknown"}
    record_timeline(f"node-facts.{any_node}", "facts", facts)
    assert kernel and facts["os"] != "unknown", f"{any_node}: kernel or OS unknown ({facts})"
    wanted = profile.expectations
    assert _release(kernel) >= _release(wanted.min_kernel), (
        f"{any_node} runs kernel {kernel}, older than the profile's min_kernel {wanted.min_kernel}")
    assert wanted.node_os is None or re.search(wanted.node_os, facts["os"]), (
        f"{any_node} runs {facts['os']!r}, the profile wants node_os {wanted.node_os!r}")


def test_clock_is_synchronised(host: Any, any_node: str) -> None:
    before = time.time()
    node_time = float(host.check_output("date +%s"))
    after = time.time()
    assert before - 1 - CLOCK_TOLERANCE_S <= node_time <= after + CLOCK_TOLERANCE_S, (
        f"{any_node} clock is {node_time - (before + after) / 2:+.1f} s off the workstation's")


def test_data_disk_has_room(host: Any, any_node: str, target: Target, profile: Profile) -> None:
    path = target.data_path(any_node)
    fields = host.check_output(f"df -Pk {path}").splitlines()[-1].split()
    free_gib = int(fields[3]) / 1024**2
    assert free_gib >= MIN_FREE_GIB, f"{any_node}: {path} has {free_gib:.1f} GiB free, needs {MIN_FREE_GIB}"
