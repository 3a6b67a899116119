"""Root conftest: suites/ and scenarios/ use the cluster-harness plugin with no extra flags.

Installed (`pip install -e .`), the plugin loads through its pytest11 entry point; from a bare
checkout on sys.path it is loaded here instead (never both: pytest refuses a double registration).
"""

from importlib.metadata import PackageNotFoundError, distribution


def _installed() -> bool:
    try:
        distribution("cluster-harness")
    except PackageNotFoundError:
        return False
    return True


pytest_plugins = [] if _installed() else ["harness.plugin"]
