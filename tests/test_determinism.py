"""What a run's numbers depend on besides its own parameters: the chunk it runs in (issue: honest
determinism). Samples never depend on the chunk size; fixed-step results agree to rounding whatever
the chunk size; adaptive methods share their step control within a chunk, so their results agree
within the solver's tolerance, not to rounding (docs/uncertainty.md, "What depends on the chunk
size")."""

from __future__ import annotations

import numpy as np
import pytest

import gmsim
from gmsim.uncertainty.spec import UncertaintySpec


def ensemble(chunk_size: int, method: str):
    return gmsim.monte_carlo(
        spec=UncertaintySpec.every_weight(0.2, seed=11),
        scenarios=["attention-shift"],
        runs=24,
        metrics=["effectiveness@36"],
        method=method,
        chunk_size=chunk_size,
        keep_trajectories=True,
        executor="inprocess",
    )


@pytest.mark.parametrize("method", ["rk4", "euler"])
def test_fixed_step_results_agree_to_rounding_whatever_the_chunk_size(method):
    one, many = ensemble(1, method), ensemble(512, method)
    np.testing.assert_array_equal(one.samples().values, many.samples().values)
    for scenario, a in one.trajectories.items():
        b = many.trajectories[scenario]
        np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-13)


def test_adaptive_results_agree_within_the_solvers_tolerance_whatever_the_chunk_size():
    one, many = ensemble(1, "rk45"), ensemble(512, "rk45")
    np.testing.assert_array_equal(one.samples().values, many.samples().values)
    for scenario, a in one.trajectories.items():
        gap = np.max(np.abs(a.values - many.trajectories[scenario].values))
        assert gap < 1e-3  # step control shared within a chunk: within tolerance, not rounding
