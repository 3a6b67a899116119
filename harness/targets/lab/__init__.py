"""The `lab` target: the homelab's shape from real daemons in network namespaces on this machine.

`config` derives every name and file from the profile (pure), `net` builds the switch and nodes,
`procs` tracks daemons by PID, `lifecycle` brings it all up and down, `etcd_api` talks to etcd,
`groundtruth` reads the true instants of VIP moves and elections, `faults` breaks things, and
`target` puts it behind the `Target` contract.
"""

from harness.targets.lab.lifecycle import Lab, LabStatus, Step
from harness.targets.lab.target import LabTarget

__all__ = ["Lab", "LabStatus", "LabTarget", "Step"]
