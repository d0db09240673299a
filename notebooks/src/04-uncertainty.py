"""Source of notebooks/04-uncertainty.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 4. Uncertainty: bands around the numbers, and which judgements matter
#
# The weights of the default model are judgements read from a qualitative
# study, each placed on a verbal scale: weak (0.2), moderate (0.4), strong
# (0.6), very strong (0.8). Another reader of the paper could place a link one
# step higher or lower. Before leaning on a number from notebook 2, ask:
#
# 1. **How wide is the band?** A Monte Carlo ensemble draws every weight from a
#    distribution and runs the model once per draw.
# 2. **Does the conclusion survive?** The probability that a scenario beats
#    another, over the draws.
# 3. **Which judgements drive the answer?** Sobol indices split the variance of
#    the result among the weights: the links to pin down first.
#
# The ensembles here are small (hundreds of runs, a few seconds) so that the
# notebook runs quickly; raise `runs` and `samples` for a report.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import gmsim

pd.set_option("display.max_colwidth", 80)
pd.set_option("display.width", 160)

model = gmsim.load_model()
spec = gmsim.load_spec("verbal_scale_step")
print(spec.name, "-", spec.description)
print("seed:", spec.seed)

# %% [markdown]
# ## The uncertain parameters
#
# A spec is data (a TOML file, or an `UncertaintySpec` built in Python). This
# one gives every link weight a triangular distribution peaked at its stated
# value and reaching one step of the verbal scale either side, kept inside
# [-1, 1]. Resolved against the model it becomes one distribution per weight:

# %%
space = spec.resolve(model.compile())
marginals = space.table()
print(f"{len(space.names)} uncertain weights")
display(marginals[["parameter", "distribution", "low", "mode", "high"]].head(8))

# %% [markdown]
# ## Monte Carlo bands
#
# Every draw runs the baseline and each scenario with the same weights, so the
# scenarios are compared draw by draw. The baseline is the launch: every draw
# opens the account at the same levels, and its biases are solved for each draw
# so that the reference levels are at rest; but the weights change how fast the
# account grows, so even the baseline has a band, widest during the growth.

# %%
scenarios = ["training-program", "streamlined-review", "full-review"]
mc = gmsim.monte_carlo(
    model, spec, scenarios=scenarios, runs=400, metrics=["effectiveness"], seed=spec.seed, progress=False
)
print(mc.summary())
assert mc.ok_runs == mc.runs

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
mc.plot("effectiveness", ax=ax)
fig.tight_layout()

# %% [markdown]
# The band of a scenario at a few months, as a table (`p5` to `p95` are
# percentiles over the draws):

# %%
band = mc.band("effectiveness", "training-program")
display(band.loc[[6.0, 12.0, 24.0, 36.0, 60.0], ["p5", "p25", "p50", "p75", "p95"]].round(3))
baseline_band = mc.band("effectiveness", "baseline")
width = baseline_band["p95"] - baseline_band["p5"]
print(
    f"baseline band: {width.iloc[0]:.3f} wide at month 0, {width.max():.3f} at its widest, "
    f"{width.iloc[-1]:.3f} at month {baseline_band.index[-1]:g}"
)
assert width.iloc[0] < 1e-12 < width.max()  # one launch, many growth paths

# %% [markdown]
# ## A scenario's effect, draw by draw
#
# Since the baseline moves with the weights too, the band of a scenario mixes
# two things: the launch, and what the scenario adds to it. The effect of the
# scenario is its difference from the baseline *in the same draw*:

# %%
finals = mc.metric_frame()
effect = finals["training-program:effectiveness"] - finals["baseline:effectiveness"]
print("effect of the training program on effectiveness at month 60, over the draws:")
print(effect.describe(percentiles=[0.05, 0.5, 0.95]).round(3).to_string())
assert (effect > 0).mean() > 0.95  # training helps in (nearly) every draw

# %% [markdown]
# ## Does the conclusion survive?
#
# `metric_summary` gives, for each scenario, the spread of the metric and the
# share of draws in which it beats the baseline. Because every scenario ran on
# the same draws, two scenarios can also be compared draw by draw.

# %%
summary = mc.metric_summary()
display(
    summary[["scenario", "p5", "p50", "p95", "median_difference", "p_better"]]
    .set_index("scenario")
    .round(3)
)

# %%
per_draw = mc.metric_frame()
training = per_draw["training-program:effectiveness"]
streamlined = per_draw["streamlined-review:effectiveness"]
p_training = float((training > streamlined).mean())
lead = training - streamlined

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(lead, bins=30, color="#1f5fa8", alpha=0.8)
ax.axvline(0, color="black", linewidth=0.8)
ax.set(
    xlabel="effectiveness at month 60: training program minus streamlined review",
    ylabel="draws",
    title=f"Training ahead in {p_training:.0%} of {mc.runs} draws",
)
fig.tight_layout()

# %%
better = summary.set_index("scenario")["p_better"]


def odds(p: float) -> str:
    """The share of draws, in words an analyst can repeat."""
    if p >= 0.95:
        return f"in {p:.0%} of the draws, a robust conclusion"
    if p <= 0.05:
        return f"in only {p:.0%} of the draws, so the opposite is the robust conclusion"
    return f"in {p:.0%} of the draws, so the weights alone can reverse it"


display(
    Markdown(
        f"Training (2.4.6) beats the baseline {odds(better['training-program'])}; streamlined review "
        f"(2.4.5) {odds(better['streamlined-review'])}; full review {odds(better['full-review'])}. "
        f"Which of training and streamlined review does more is another matter: training is ahead "
        f"{odds(p_training)}, with a median lead of {lead.median():+.3f}. Rank these two as "
        f"{'close, not ordered' if 0.1 < p_training < 0.9 else 'ordered'} until the weights are "
        "known better."
    )
)

# %% [markdown]
# ## Which judgements drive the answer? Sobol indices
#
# `gmsim.sensitivity` designs the runs with SALib (Saltelli's scheme) and
# computes, for each weight, its first-order index **S1** (the share of the
# variance of the result it explains alone) and its total index **ST** (alone
# and through interactions with other weights), with bootstrap confidence
# intervals. Sobol needs `samples` to be a power of 2; the runs number
# `samples × (weights + 2)`. The result explained here is effectiveness at
# month 60 under the training program. Its variance is that of the whole run,
# the launch and the program's effect together: the weights that set where the
# account settles can rank as high as those the program acts through.

# %%
sobol = gmsim.sensitivity(
    model,
    spec,
    method="sobol",
    samples=128,
    scenario="training-program",
    metrics=["effectiveness"],
    seed=spec.seed,
    progress=False,
)
print(f"{sobol.runs} runs")
ranking = sobol.ranking()
display(ranking[["rank", "parameter", "ST", "ST_conf", "S1", "S1_conf"]].head(8).round(3))
ax = sobol.plot(top=12)
ax.figure.tight_layout()

# %% [markdown]
# Small negative S1 values and wide intervals are sampling noise: with more
# samples they shrink toward zero. The ranking at the top is what to read.
# The links that matter most, with the words of the paper behind them:

# %%
top = ranking.head(3)
rows = []
for name in top["parameter"]:
    cause, effect = name.removeprefix("weight:").split("->")
    link = model.link(cause, effect)
    rows.append(
        {
            "link": f"{cause} -> {effect}",
            "weight": link.weight,
            "paper": link.source,
            "quote": link.quote,
        }
    )
display(pd.DataFrame(rows).set_index("link"))

share = float(top["ST"].sum() / ranking["ST"].sum())
first = top.iloc[0]
display(
    Markdown(
        f"Of the {len(ranking)} weights, the top three carry {share:.0%} of the total Sobol index; "
        f"the first, `{first['parameter']}`, alone has ST = {first['ST']:.2f} ± {first['ST_conf']:.2f}. "
        "Better evidence on these few links, more than on any other, would narrow the band of "
        "the training program."
    )
)
assert first["parameter"] == "weight:training->staff_capability"  # the link the scenario acts through
