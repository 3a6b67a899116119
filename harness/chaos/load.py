"""Load a scenario file and report every problem with its path, in one message."""

from __future__ import annotations

from pathlib import Path

from harness.chaos.errors import ScenarioError
from harness.chaos.expressions import parse_expectation
from harness.chaos.model import EVENT_KINDS, Scenario
from harness.metrics import EVENT_FIGURES, EVENTS_PREFIX, observation_specs
from harness.profile import Profile
from harness.validation import parse_yaml_model, read_text

Problem = tuple[str, str]

_SENTENCES = {
    "missing": "is required",
    "extra_forbidden": "unknown field (see scenarios/*.yaml for examples)",
}


def is_scenario_document(document: object) -> bool:
    """What the pytest collector looks for: a mapping with `title` and `method` at the top."""
    return isinstance(document, dict) and "title" in document and "method" in document


def load_scenario(path: Path | str) -> Scenario:
    return parse_scenario(read_text(path, error=ScenarioError), source=str(path))


def parse_scenario(text: str, *, source: str = "<text>") -> Scenario:
    return parse_yaml_model(text, model=Scenario, source=source, error=ScenarioError,
                            sentences=_SENTENCES, rules=cross_field_problems)


def _metric_problem(metric: str, scenario: Scenario) -> str | None:
    name, _, rest = metric.partition(".")
    if metric.startswith(EVENTS_PREFIX):
        parts = rest.split(".")
        figures = [spec.name for spec in EVENT_FIGURES]
        if len(parts) != 2 or parts[1] not in figures:
            read = " or ".join(f"{EVENTS_PREFIX}<kind>.{figure}" for figure in figures)
            return f"event metrics read {read}, not {metric!r}"
        if parts[0].replace("_", "-") not in EVENT_KINDS:
            known = ", ".join(kind.replace("-", "_") for kind in EVENT_KINDS)
            return f"no target stamps events of kind {parts[0]!r} (known: {known})"
        return None
    observation = scenario.observe.get(name)
    if observation is None:
        known = ", ".join(sorted(scenario.observe)) or "nothing"
        return f"{metric!r} names no observation {name!r} (observe has: {known})"
    allowed = [spec.name for spec in observation_specs(str(observation.probe))]
    if rest not in allowed:
        return f"unknown metric {rest!r} of {name} (known: {', '.join(allowed)})"
    return None


def cross_field_problems(scenario: Scenario) -> list[Problem]:
    """Rules that span fields: metrics name observations, observations outlast the method."""
    problems: list[Problem] = []
    for index, text in enumerate(scenario.expectations):
        problem = _metric_problem(parse_expectation(text).metric, scenario)
        if problem:
            problems.append((f"expectations[{index}]", problem))
    needed = scenario.lead_s + scenario.method_s
    for name, observation in scenario.observe.items():
        if observation.duration_s < needed:
            problems.append((f"observe.{name}.duration_s",
                             f"{observation.duration_s:g} s is shorter than the longest lead_s plus the "
                             f"method's durations and pauses ({needed:g} s)"))
    return problems


def profile_problems(scenario: Scenario, profile: Profile) -> list[Problem]:
    """Rules that need the profile: nodes named by a step exist and are in the cluster."""
    known = {node.name for node in profile.nodes}
    problems: list[Problem] = []
    for section, steps in (("method", scenario.method), ("rollbacks", scenario.rollbacks)):
        for index, step in enumerate(steps):
            if step.node is not None and step.node not in known:
                problems.append((f"{section}[{index}].node",
                                 f"no node {step.node!r} in profile {profile.name!r} "
                                 f"(nodes: {', '.join(sorted(known))})"))
    return problems
