"""What a Talos node answers inside the harness's node-debug pod, decided per node (no real node).

The pod is Alpine (busybox) with the host's `/` at `/host`, in the node's network and PID
namespaces: `uname -r` is the node's kernel, `ip` shows the node's NIC (`end0` on a Turing RK1),
`/host/etc/os-release` is Talos's, `df` sees the node's `/var`. busybox has no `tc` applet, so
the link speed comes from `/sys/class/net/end0/speed`. Outputs follow busybox's formats; a node's
fields can be changed to seed a defect (a 100 Mbit/s link, jumbo MTU, a skewed clock, a full disk).
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field

from tests.kubernetes.fakeapi import ExecHandler, FakeKubernetes

ALPINE_OS_RELEASE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n'
DF_HEADER = "Filesystem           1024-blocks    Used Available Capacity Mounted on"


@dataclass
class FakeNode:
    address: str
    iface: str = "end0"
    speed_mbit: int = 1000
    mtu: int = 1500
    kernel: str = "6.12.6-talos"
    talos: str = "v1.9.1"
    clock_offset_s: int = 0
    var_size_kib: int = 244_140_625  # a 250 GB NVMe's /var
    var_free_kib: int = 236_000_000

    def files(self) -> dict[str, str]:
        return {
            f"/sys/class/net/{self.iface}/speed": f"{self.speed_mbit}\n",
            f"/sys/class/net/{self.iface}/mtu": f"{self.mtu}\n",
            "/etc/os-release": ALPINE_OS_RELEASE,
            "/host/etc/os-release": f'NAME="Talos"\nID=talos\nVERSION_ID={self.talos}\n'
                                    f'PRETTY_NAME="Talos ({self.talos})"\n',
        }

    def answer(self, argv: list[str]) -> tuple[str, str, int]:
        """One simple command (no pipes), as busybox would run it."""
        name, args = argv[0], argv[1:]
        if name == "uname":
            flag = args[0] if args else "-s"
            return {"-s": "Linux", "-r": self.kernel, "-m": "aarch64"}.get(flag, "Linux") + "\n", "", 0
        if name == "cat":
            path = next(a for a in args if a != "--")
            if path in self.files():
                return self.files()[path], "", 0
            return "", f"cat: can't open '{path}': No such file or directory\n", 1
        if argv == ["ip", "-o", "-4", "addr", "show"]:
            lifetime = "\\       valid_lft forever preferred_lft forever\n"
            return (f"1: lo    inet 127.0.0.1/8 scope host lo{lifetime}"
                    f"2: {self.iface}    inet {self.address}/24 brd 127.0.0.255 scope global "
                    f"{self.iface}{lifetime}"), "", 0
        if argv == ["date", "+%s"]:
            return f"{int(time.time()) + self.clock_offset_s}\n", "", 0
        if name == "df" and args[:1] == ["-Pk"]:
            used = self.var_size_kib - self.var_free_kib
            percent = round(100 * used / self.var_size_kib)
            return (f"{DF_HEADER}\n/dev/nvme0n1p6 {self.var_size_kib:>20} {used:>7} {self.var_free_kib:>9}"
                    f" {percent:>7}% {args[1]}\n"), "", 0
        return "", f"sh: {name}: not found\n", 127


@dataclass
class FakeNodes:
    """Answers exec in node-debug pods; every other exec goes to the handler installed before."""

    api: FakeKubernetes
    nodes: dict[str, FakeNode]
    commands: list[tuple[str, str]] = field(default_factory=list)
    """(node, shell command) of every exec, in order."""
    _previous: ExecHandler | None = None

    def install(self) -> FakeNodes:
        self._previous, self.api.exec_handler = self.api.exec_handler, self._exec
        return self

    def _exec(self, namespace: str, pod: str, argv: list[str]) -> tuple[str, str, int]:
        found = self.api.objects.get(("v1", namespace, "pods"), {}).get(pod)
        role = ((found or {}).get("metadata", {}).get("labels") or {}).get("harness/role")
        if role != "node-debug":
            assert self._previous is not None
            return self._previous(namespace, pod, argv)
        node = found["spec"]["nodeName"] if found else ""
        if argv[:2] != ["/bin/sh", "-c"] or len(argv) != 3:
            return "", f"exec: {argv[0]!r}: the node-debug pod is only driven through /bin/sh -c\n", 126
        self.commands.append((node, argv[2]))
        return self._shell(self.nodes[node], argv[2])

    @staticmethod
    def _shell(node: FakeNode, command: str) -> tuple[str, str, int]:
        """`a || b` and `2>/dev/null`, the only shell the suites use; anything else runs as is."""
        stdout, stderr, code = "", "", 127
        for alternative in command.split("||"):
            words = shlex.split(alternative)
            quiet = "2>/dev/null" in words
            stdout, stderr, code = node.answer([w for w in words if w != "2>/dev/null"])
            stderr = "" if quiet else stderr
            if code == 0:
                break
        return stdout, stderr, code
