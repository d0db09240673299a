"""`gmsim calibrate --keep-checks` on the default model's own claims (its [[checks]]).

The data of models/data/synthetic-training-tau6.csv were made by the default model with
tau:training = 6, a value that breaks two of the paper's claims (a short lapse of
attention no longer recovers; regulation no longer curbs attacks). Fitted without the
claims, tau:training comes back as 6 and the calibrated model fails them; fitted with
them, the fit stops where every claim still holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gmsim
from gmsim.evidence.calibrate import calibrate
from gmsim.evidence.outputs import write_calibration
from gmsim.evidence.penalty import ClaimPenalty

DATA = Path(__file__).resolve().parents[1] / "models" / "data" / "synthetic-training-tau6.csv"
FIT = {"stop": 24, "dt": 0.25, "starts": 1, "screen": 0}
BROKEN = {"short-lapse-recovers", "regulation-curbs-attacks"}


def _claims_of(fit, folder: Path):
    """gmsim.check of the calibrated model file the fit writes (the claims judged afresh)."""
    folder.mkdir()
    write_calibration(fit, folder)
    return gmsim.check(folder / "calibrated.toml")


def test_the_penalised_fit_keeps_the_claims_the_plain_fit_breaks(tmp_path):
    plain = calibrate(None, DATA, ["tau:training"], **FIT)
    assert plain.estimate("tau:training") == pytest.approx(6.0, abs=1e-3)
    report = _claims_of(plain, tmp_path / "plain")
    assert {r["name"] for r in report.failures} == BROKEN

    kept = calibrate(None, DATA, ["tau:training"], keep_checks=True, **FIT)
    estimate = kept.estimate("tau:training")
    assert 3.0 < estimate < 6.0  # moved toward the data, stopped where the claims hold
    assert kept.cost > plain.cost  # the claims cost the fit some of its residuals
    assert not [n for n in kept.notes if "fails at the fit" in n]
    assert _claims_of(kept, tmp_path / "kept").passed


def test_the_penalty_judges_each_candidate_as_gmsim_check_does():
    system = gmsim.load_model().compile()
    penalty = ClaimPenalty(system, ["tau:training"])
    values = np.array([[3.0], [6.0]])  # the model's own value, and the data's
    residuals = penalty.residuals(values)  # both candidates in one batch per run
    names = [c.name for c in penalty.claims]
    assert residuals.shape == (2, len(names)) == (2, len(gmsim.load_model().checks))
    assert not residuals[0].any()
    assert {n for n, r in zip(names, residuals[1], strict=True) if r > 0} >= BROKEN
    assert penalty.failing(values[1]) == [f"claim {n!r} fails at the fit" for n in names if n in BROKEN]
