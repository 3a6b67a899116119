"""Upstream data the tests read, kept in the checkout (`SOURCES.md` says where each file is from).

The CRDs the harness itself installs live in `harness/reference/`; tests read those from there.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
NCA = ROOT / "netpol" / "nca"  # IBM network-config-analyzer's NetworkPolicy cases
ROOK_EXAMPLES = ROOT / "rook" / "examples"  # Rook's example manifests (not its CRDs)
