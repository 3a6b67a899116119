"""Chaos scenarios: a declarative YAML format, a runner with guard rails and rollbacks, a journal."""

from harness.chaos.errors import GuardError, ScenarioError, ScenarioInterrupted, Terminated
from harness.chaos.journal import JournalEntry
from harness.chaos.load import is_scenario_document, load_scenario, parse_scenario, profile_problems
from harness.chaos.model import Scenario
from harness.chaos.result import ObservationResult, ScenarioResult
from harness.chaos.rows import ScenarioRecords, result_records, result_rows
from harness.chaos.runner import RunContext, run_scenario

__all__ = ["GuardError", "JournalEntry", "ObservationResult", "RunContext", "Scenario", "ScenarioError",
           "ScenarioInterrupted", "ScenarioRecords", "ScenarioResult", "Terminated",
           "is_scenario_document", "load_scenario", "parse_scenario", "profile_problems",
           "result_records", "result_rows", "run_scenario"]
