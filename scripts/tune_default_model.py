"""Set the default model's free constants so that its launch tells the paper's story.

Every other number of ``models/gov_microblog.toml`` is a reading of the paper. Seven
constants, marked ``# tuned`` in the file, have no words behind their size; they are set
here, numerically, to meet three targets at once:

1. the launch reaches the reference levels: effectiveness within 0.01 of its reference
   (0.417) at month 36;
2. a sustained withdrawal of attention (``attention-withdrawal``: 18 months at 0.2) tips the
   account into abandonment: effectiveness at month 60 at least 0.1 below the baseline, and
   still at month 96;
3. a short lapse (``attention-lapse``: 3 months) recovers: within 0.03 of the baseline at
   month 54 and within 0.01 at month 96.

The claims of the model file that restate these targets carry ``tuned = true``: passing
them shows the tuning holds, not that the model is right.

How: a random screen of ``--screen`` parameter sets, run as one batch per scenario by
gmsim's batch engine, then :func:`scipy.optimize.minimize` (Nelder-Mead) from the best
set, each evaluation one batch of the three runs. Run it from a checkout::

    python scripts/tune_default_model.py --screen 400

It prints the constants; copy them into the model file by hand (the file keeps its
comments), then run ``gmsim check``.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import minimize

import gmsim

SPACE = {
    "rate:seeding": (0.06, 0.14),
    "initial:leadership_attention": (0.8, 0.9),
    "tau_fall:leadership_attention": (12.0, 20.0),
    "tau_rise:leadership_attention": (3.0, 9.0),
    "weight:followers->leadership_attention": (0.4, 0.9),
    "weight:followers->citizen_engagement": (0.75, 1.0),
    "rate:leaving": (0.15, 0.35),  # one rate for the three ways followers leave
}
LEAVING = ("rate:leaving_dull", "rate:leaving_distrust", "rate:leaving_ignored")
REFERENCE = 0.417  # effectiveness at the reference levels
HORIZON = 96


def batch_of(values: np.ndarray) -> dict[str, np.ndarray]:
    """Batch columns of the engine for parameter sets ``values`` (runs x constants)."""
    columns = {name: values[:, k] for k, name in enumerate(SPACE) if name != "rate:leaving"}
    leaving = values[:, list(SPACE).index("rate:leaving")]
    columns.update(dict.fromkeys(LEAVING, leaving))
    return columns


def misfit(model: gmsim.Model, values: np.ndarray) -> np.ndarray:
    """How far each parameter set is from the three targets (0 when all are met)."""
    batch = batch_of(np.atleast_2d(values))
    runs = {
        name: gmsim.simulate(model, scenario=name, stop=HORIZON, batch=batch)
        for name in ("baseline", "attention-lapse", "attention-withdrawal")
    }
    time = runs["baseline"].time
    at = {t: int(np.argmin(np.abs(time - t))) for t in (36, 54, 60, HORIZON)}
    eff = {name: run["effectiveness"] for name, run in runs.items()}
    base = eff["baseline"]
    launch = np.abs(base[:, at[36]] - REFERENCE)
    abandon = np.minimum(
        base[:, at[60]] - eff["attention-withdrawal"][:, at[60]],
        base[:, at[HORIZON]] - eff["attention-withdrawal"][:, at[HORIZON]],
    )
    lapse = np.abs(base[:, [at[54], at[HORIZON]]] - eff["attention-lapse"][:, [at[54], at[HORIZON]]])
    return (
        3 * np.maximum(launch - 0.01, 0)
        + np.maximum(0.1 - abandon, 0)
        + np.maximum(lapse[:, 0] - 0.03, 0)
        + np.maximum(lapse[:, 1] - 0.01, 0)
        + 0.1 * launch  # among sets that meet every target, prefer the closest launch
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", type=int, default=400, help="random parameter sets to screen")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    model = gmsim.load_model()
    low, high = (np.array([b[k] for b in SPACE.values()]) for k in (0, 1))
    rng = np.random.default_rng(args.seed)
    screen = rng.uniform(low, high, (args.screen, len(SPACE)))
    scores = misfit(model, screen)
    start = screen[int(np.argmin(scores))]
    print(f"screen: {args.screen} sets, best misfit {scores.min():.4f}")

    def one(x: np.ndarray) -> float:
        inside = np.clip(x, low, high)
        return float(misfit(model, inside)[0]) + float(np.sum((x - inside) ** 2))

    best = minimize(one, start, method="Nelder-Mead", options={"maxfev": 120, "xatol": 1e-3})
    print(f"Nelder-Mead: misfit {best.fun:.4f} after {best.nfev} evaluations")
    for name, value in zip(SPACE, np.clip(best.x, low, high), strict=True):
        print(f"  {name:42s} {value:.3f}")


if __name__ == "__main__":
    main()
