"""Pods that change a node's own link from inside it: a partition, and a link shaped to a rate.

Each is a privileged pod in the node's host namespaces running one shell script. The script
finds the node's uplink as the device that carries the node's address (the switch port a power
cut would drop, not one of Cilium's own devices), says what it will do on stdout, and puts the
link back on SIGTERM or when its timer ends, whatever happens to the harness.

Which layers, with Cilium's eBPF datapath in the way: Cilium's programs run at tc on the device,
and the packets they redirect straight into a pod (from the wire) or onto the wire (from a pod)
skip netfilter, netdev hooks included (the kernel runs tc ingress before netfilter's ingress
hook, and marks packets redirected from tc ingress to skip its egress hook). Every packet the
node sends still passes the device's root qdisc, which comes after both. So:

- partition: root qdisc `pfifo limit 0` drops every packet leaving the device (host, pod and
  redirected alike), and a netdev ingress chain drops everything that reaches the host stack.
  What remains: a packet Cilium redirects from the wire straight into a pod still arrives, but
  nothing can answer it.
- shaped link: root qdisc `tbf` at the rate (everything the node sends), and netdev ingress
  policing at the rate (what reaches the host stack; traffic redirected into pods is not
  policed on its way in, only its answers on their way out).

Undo: deleting the root qdisc gives the device the kernel's default qdisc back (on a cluster
where Cilium's bandwidth manager set its own, that comes back when Cilium reconciles).
"""

from __future__ import annotations

import re

from harness.targets.kubernetes import manifests

Obj = manifests.Obj

PARTITION_TABLE = "harness_partition"
SHAPE_TABLE = "harness_shape"
PARTITION_MARK = "harness-partition:"
SHAPE_MARK = "harness-shape:"
CUT_AT = re.compile(rf"^{PARTITION_MARK} cut (\S+) at (\d+)$", re.MULTILINE)
"""The partition pod's announcement: the device, and the epoch second the cut starts."""
FAILED = "FAILED"


def _find_device(address: str, mark: str) -> list[str]:
    return [
        f"dev=$(ip -o -4 addr show | awk -v a={address} "
        "'{split($4, p, \"/\"); if (p[1] == a) {print $2; exit}}')",
        f'[ -n "$dev" ] || {{ echo "{mark} {FAILED}: no device carries {address}"; exit 2; }}',
    ]


def _rules(table: str, policy: str, rule: str = "") -> str:
    """The netdev ingress chain, for `nft -f -`: one table of ours, on the found device."""
    body = f" {rule};" if rule else ""
    return (f'rules="table netdev {table} {{ chain in {{ type filter hook ingress device \\"$dev\\" '
            f'priority -500; policy {policy};{body} }} }}"')


def _checked(mark: str, what: str) -> str:
    """Refuse before announcing anything when nftables or tc would refuse the real thing."""
    return ('printf "%s\\n" "$rules" | nft -c -f - && tc qdisc show dev "$dev" >/dev/null '
            f'|| {{ echo "{mark} {FAILED}: {what} cannot be applied on this node (nft or tc refused '
            'a check)"; exit 1; }')


def _timer(seconds: int) -> str:
    # The sleep holds no output open, and the trap kills it: nothing outlives the script.
    return f'sleep {int(seconds)} >/dev/null 2>&1 & sleeper=$!; wait "$sleeper"'


def _undo_on_signal(undo: str) -> list[str]:
    return ['sleeper=""',
            f"""trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; {undo}; exit 0' TERM INT"""]


def _undo(name: str, table: str, mark: str, said: str) -> list[str]:
    return [
        "qdisc=0",  # set once our root qdisc replaced the device's: only then is it ours to delete
        f"{name}() {{",
        '  [ "$qdisc" = 0 ] || tc qdisc del dev "$dev" root 2>/dev/null',
        f"  nft delete table netdev {table} 2>/dev/null",
        f'  echo "{mark} {said}"',
        "}",
    ]


def partition_script(*, address: str, lead_s: int, heal_after_s: int) -> str:
    """Check, announce the cut `lead_s` seconds ahead (the harness reads it while it still can),
    cut at that second, heal after `heal_after_s` seconds or on SIGTERM."""
    return "\n".join([
        *_find_device(address, PARTITION_MARK),
        _rules(PARTITION_TABLE, "drop"),
        _checked(PARTITION_MARK, "the cut"),
        *_undo("heal", PARTITION_TABLE, PARTITION_MARK, "healed"),
        *_undo_on_signal("heal"),
        f"at=$(( $(date +%s) + {int(lead_s)} ))",
        f'echo "{PARTITION_MARK} cut $dev at $at"',
        'while [ "$(date +%s)" -lt "$at" ]; do sleep 0.05; done',
        'printf "%s\\n" "$rules" | nft -f - && tc qdisc replace dev "$dev" root pfifo limit 0 '
        f'&& qdisc=1 || {{ echo "{PARTITION_MARK} {FAILED}: the cut could not be applied"; heal; '
        "exit 1; }",
        _timer(heal_after_s),
        "heal",
    ])


def shape_script(*, address: str, rate_mbit: float, max_s: int) -> str:
    """Check, shape both directions to `rate_mbit`, announce it, hold until SIGTERM (the undo)
    or `max_s` (a harness that died leaves no slow link behind for longer)."""
    bytes_per_s = int(rate_mbit * 1_000_000 / 8)
    burst = max(32 * 1024, bytes_per_s // 250)  # at least one timer tick's worth at HZ 250
    return "\n".join([
        *_find_device(address, SHAPE_MARK),
        _rules(SHAPE_TABLE, "accept",
               f"limit rate over {bytes_per_s} bytes/second burst {burst} bytes drop"),
        _checked(SHAPE_MARK, "the shaping"),
        *_undo("restore", SHAPE_TABLE, SHAPE_MARK, "restored"),
        *_undo_on_signal("restore"),
        f'tc qdisc replace dev "$dev" root tbf rate {rate_mbit:g}mbit burst {burst} latency 50ms '
        '&& qdisc=1 && printf "%s\\n" "$rules" | nft -f - '
        f'|| {{ echo "{SHAPE_MARK} {FAILED}: the shaping could not be applied"; restore; exit 1; }}',
        f'echo "{SHAPE_MARK} $dev at {rate_mbit:g} Mbit/s"',
        _timer(max_s),
        "restore",
    ])


def partition_pod(node: str, *, address: str, run_id: str, image: str, lead_s: int,
                  heal_after_s: int) -> Obj:
    return manifests.pod(
        manifests.object_name("partition", node), run_id=run_id, image=image,
        command=["sh", "-c", partition_script(address=address, lead_s=lead_s,
                                              heal_after_s=heal_after_s)],
        node=node, role="partition", privileged=True, host_namespaces=True)


def shape_pod(node: str, *, address: str, run_id: str, image: str, rate_mbit: float,
              max_s: int) -> Obj:
    return manifests.pod(
        manifests.object_name("shape", node), run_id=run_id, image=image,
        command=["sh", "-c", shape_script(address=address, rate_mbit=rate_mbit, max_s=max_s)],
        node=node, role="shape", privileged=True, host_namespaces=True)
