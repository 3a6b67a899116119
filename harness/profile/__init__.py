"""The cluster profile: a typed, validated description of the cluster and its expectations."""

from harness.profile.defects import CATALOGUE, Defect, parse_defect
from harness.profile.load import load_profile, parse_profile
from harness.profile.model import Node, Profile, Role

__all__ = ["CATALOGUE", "Defect", "Node", "Profile", "Role", "load_profile", "parse_defect",
           "parse_profile"]
