"""The HTML report for readers who do not code: building blocks, sections, plain words."""

from gmsim.report.document import DEFAULT_SCENARIOS, write_report

__all__ = ["DEFAULT_SCENARIOS", "write_report"]
