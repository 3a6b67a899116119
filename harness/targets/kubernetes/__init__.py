"""The `kubernetes` target: a real Talos + Kubernetes cluster, reached through one API adapter."""

from harness.targets.kubernetes.target import KubernetesTarget

__all__ = ["KubernetesTarget"]
