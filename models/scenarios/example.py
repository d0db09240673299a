"""Example: state a scenario in Python, run it beside the library, and read the outcome.

Run it with ``python -m gmsim.models.scenarios.example``. A scenario written in
Python uses the same words as a scenario file: here a one-year training
programme (the library's ``training-program`` runs until the end), and a
package that adds full-time posts to it.
"""

from __future__ import annotations

import pandas as pd

import gmsim
from gmsim.analysis.comparison import end_of_horizon, format_end_table
from gmsim.scenario import Intervention, Scenario, combine


def training_year() -> Scenario:
    """Training held high for twelve months from month 6, then left to leaders and funds (2.4.6)."""
    return Scenario(
        name="training-year",
        description="One year of professional training, months 6 to 18 (paper 2.4.6).",
        actions=(Intervention("pulse", "training", at=6, duration=12, value=0.7),),
    )


def main(stop: float = 36.0) -> pd.DataFrame:
    """Compare the library's training programme, a one-year programme and a package; print the table."""
    year = training_year()
    package = combine(
        gmsim.load_scenario("full-time-posts"),
        year,
        name="posts-and-training-year",
        description="Full-time posts (2.4.1) and one year of training (2.4.6).",
    )
    frame = gmsim.compare(gmsim.load_model(), ["training-program", year, package], stop=stop)
    table = end_of_horizon(frame)
    print(format_end_table(table, time=stop))
    return table


if __name__ == "__main__":
    main()
