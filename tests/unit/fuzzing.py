"""Hypothesis strategies that damage real documents the way users and crashes do.

A seed document (a shipped profile or scenario, a run file) is changed in 1-4 places: a value
replaced by one of another type or a tricky string, a key dropped or added, a list item
duplicated, a subtree moved elsewhere. Text is then damaged too: YAML gets a bad token after a
colon (dates that do not exist, explicit tags, anchors), a run file is cut short (half-written)
or gets a stray byte.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

Path = tuple[Any, ...]

TRICKY = ["", " ", "cp1", "cp9", "wk1", "lab", "kubernetes", "198.18.0.10", "198.18.0.300",
          "10.0.0.0/33", "api.bogus <= 3", "events.bogus.count >= 1", "vip.changes >= 1", "ok",
          "passed", "crashed", "running", "[/]", "../../etc", "2026-02-30T00:00:00", "nan", "-1",
          "power_off", "controlplane.vip_holder", "profile.expectations.l2_failover_max_s"]
YAML_TOKENS = ["2026-02-30", "2026-13-01 10:00:00", "!!int x", "!!float y", "!!binary z",
               "&a [*a]", "*nowhere", "{", "[", "? [a, b]", "!!set {a, b}", "'unclosed", "|",
               ".nan", "-.inf", "0x1f", "1_000", "~", "{a: 1, a: 2}", "!!python/object:os.system"]

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.sampled_from(TRICKY),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.sampled_from(TRICKY), st.integers(), max_size=2))


def paths(tree: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from paths(value, (*prefix, index))


def _get(tree: Any, path: Path) -> Any:
    for part in path:
        tree = tree[part]
    return tree


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A deep copy of one seed with 1-4 mutations; the list of seeds is never changed."""
    tree = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        everywhere = list(paths(tree))
        path = draw(st.sampled_from(everywhere))
        op = draw(st.sampled_from(["replace", "delete", "add", "duplicate", "move"]))
        if not path:  # the root itself
            if op == "replace":
                tree = draw(leaves)
            continue
        parent, last = _get(tree, path[:-1]), path[-1]
        if op == "replace":
            parent[last] = draw(leaves)
        elif op == "delete":
            del parent[last]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(TRICKY))] = draw(leaves)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif op == "move":
            parent[last] = copy.deepcopy(_get(tree, draw(st.sampled_from(everywhere))))
    return tree


@st.composite
def damaged_yaml(draw: st.DrawFn, text: str) -> str:
    """Text as written, or with one value replaced by a bad token, or cut short."""
    how = draw(st.sampled_from(["as is", "as is", "as is", "token", "cut"]))
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))]
    if how == "token":
        lines = text.splitlines()
        colons = [i for i, line in enumerate(lines) if ": " in line] or [0]
        index = draw(st.sampled_from(colons))
        head = lines[index].split(": ", 1)[0] if lines else "x"
        lines[index:index + 1] = [f"{head}: {draw(st.sampled_from(YAML_TOKENS))}"]
        return "\n".join(lines) + "\n"
    return text


@st.composite
def damaged_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """Bytes as written, cut short (a half-written file), or with a stray byte."""
    how = draw(st.sampled_from(["as is", "as is", "cut", "byte"]))
    if how == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if how == "byte":
        at = draw(st.integers(0, len(data)))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at:]
    return data


def fuzz_counted(name: str, check: Callable[[], None], counter: list[int], examples: int) -> None:
    """Run a hypothesis test that counts its examples in `counter`; print the count and the time
    (a figure, not an assertion) and check hypothesis ran about as many as asked."""
    started = time.perf_counter()
    check()
    elapsed = time.perf_counter() - started
    print(f"fuzz {name}: {counter[0]} examples in {elapsed:.2f} s")
    assert counter[0] >= examples * 0.9, "hypothesis ran fewer examples than asked"
