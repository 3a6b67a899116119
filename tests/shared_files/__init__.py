"""Where the project's shared reference material lives: `../shared/` beside the checkout.

CI clones the repository with `shared/` next to it, as on a developer's machine.
"""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"
REFERENCE = SHARED / "reference"
SAMPLES = SHARED / "samples"
