"""Source of notebooks/01-quickstart.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 1. Quick start: load the paper's model, run it, read it
#
# gmsim turns the enablers and barriers of government microblogs found by
# Zheng (2012), *Managing Chinese Government Microblogs: Enablers and Barriers*
# (ICEGOV '12), into a causal-loop model you can run. This notebook loads the
# default model, reads its factors and links, runs it, and plots the result.
#
# Section numbers such as "2.4.1" refer to the paper throughout.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import gmsim
from gmsim.plot.results import GROUP_TITLES, plot_effectiveness, plot_overview

pd.set_option("display.max_colwidth", 90)
pd.set_option("display.width", 160)

model = gmsim.load_model()  # the default model; pass a path to load your own file
print(model.name)
print(model.source)
print(f"{len(model.factors)} factors, {len(model.links)} links, time unit: {model.time_unit}")

# %% [markdown]
# ## The factors, by the paper's groups
#
# The paper sorts what helps and what hurts into four groups: external enablers
# (section 2.1), internal enablers (2.2), external barriers (2.3) and internal
# barriers (2.4). The model adds *processes* (how the account is run day to day)
# and *outcomes*: the three dimensions of effectiveness the paper's abstract
# names, and effectiveness itself.
#
# A factor is one of three kinds:
#
# - **exogenous**: set from outside (constant, or moved by a scenario);
# - **endogenous**: moved by its causes, with an adjustment time `tau` in months
#   (some rise and fall at different speeds, and funding is revised only at the
#   yearly budget decision);
# - **stock**: accumulated by inflows and drained by outflows (followers, staff
#   experience);
# - **composite**: a weighted mean of other factors (effectiveness).
#
# An endogenous or stock factor starts at its *initial* level (the day the
# account opens) and has a *reference* level: where the account stands once it
# is established, as the 2011 assessment reports it.

# %%
factors = pd.DataFrame(
    {
        "group": f.group,
        "factor": f.id,
        "label": f.label,
        "kind": f.kind,
        "initial level": f.initial if f.kind != "composite" else None,
        "reference level": f.reference,
        "tau (months)": f.tau if f.kind == "endogenous" and f.decide_every is None else None,
        "paper": f.source,
    }
    for f in model.factors
)
for group, title in GROUP_TITLES.items():
    part = factors[factors["group"] == group].drop(columns="group")
    if len(part):
        print(f"\n{title}: {len(part)} factors")
        display(part.set_index("factor"))

# %% [markdown]
# ## What a level means
#
# Every factor has a **level between 0 and 1**, where 1 means "a lot of it".
# A factor names the thing whose amount is modelled, never "lack of" it: the
# paper's barrier "lack of regulations" (2.3.3) is the factor `regulation` at a
# low level, and a barrier such as the bureaucratic review (2.4.5) hurts
# through **negative links**. Levels are relative judgements on a common scale,
# not measurements: 0.3 funding means "little secured funding", as the paper
# reports for most accounts (2.4.3).

# %%
review = pd.DataFrame(
    {
        "to": link.effect,
        "weight": link.weight,
        "sign": "+" if link.sign > 0 else "-",
        "paper": link.source,
    }
    for link in model.links
    if link.cause == "review_burden"
)
print("Links out of", model.factor("review_burden").label)
display(review)

# %% [markdown]
# Effectiveness is a composite: the weighted mean of the three outcome
# dimensions, so a change in any of them shows in it.

# %%
effectiveness = model.factor("effectiveness")
print(
    effectiveness.label,
    "=",
    " + ".join(f"{w:g} x {part}" for part, w in effectiveness.of),
    "(normalised)",
)
print(effectiveness.note)

# %% [markdown]
# ## The links, and why their weights are judgements
#
# The paper is qualitative: focus groups with 78 civil servants and interviews
# with the managers of nine Shanghai accounts. It says *that* leaders' attention
# brings funding, not by how much. Each link of the model therefore cites the
# section and the words that justify its existence and sign, and its size is a
# judgement on a verbal scale: weak (0.2), moderate (0.4), strong (0.6), very
# strong (0.8). Treat the numbers as a structured opinion: notebook 4 shows how
# much the conclusions depend on them.

# %%
SCALE = {0.2: "weak", 0.4: "moderate", 0.6: "strong", 0.8: "very strong"}


def strength(weight: float) -> str:
    """The verbal scale's words for a weight's size ('weak to moderate' for 0.3)."""
    words = [name for level, name in SCALE.items() if abs(abs(weight) - level) <= 0.1 + 1e-9]
    return " to ".join(words)


links = pd.DataFrame(
    {
        "cause": link.cause,
        "effect": link.effect,
        "weight": link.weight,
        "strength": strength(link.weight),
        "delay (months)": link.delay,
        "paper": link.source,
        "quote": link.quote,
    }
    for link in model.links
)
print("How many links of each size:")
print(links.groupby([links["weight"].abs().rename("size"), "strength"]).size().to_string())
display(links[links["effect"] == "funding"])

# %% [markdown]
# ## The equations in one paragraph
#
# For an endogenous factor $i$ with causes $j$:
#
# $$u_i = b_i + \sum_j w_{ij}\, x_j, \qquad \frac{dx_i}{dt} = \frac{\sigma(\lambda u_i) - x_i}{\tau_i}, \qquad \sigma(u) = \frac{1}{1 + e^{-u}}$$
#
# Each factor moves, with adjustment time $\tau_i$, toward the level its causes
# set (stocks add up their inflows and outflows instead). The biases $b_i$ are
# solved so that the **reference levels are at rest**. The account itself does
# not start there: the baseline is a **launch**. It opens at month 0 with few
# followers, little funding and inexperienced staff, and grows, S-shaped, to
# its reference levels by about month 36; the run lasts 60 months.

# %%
baseline = gmsim.simulate(model)  # 60 months, RK4 with dt = 0.125 (the model's [simulation] table)
frame = baseline.to_frame()
print(f"{len(frame)} saved times, months {frame.index[0]:g} to {frame.index[-1]:g}")
launch = ["followers", "funding", "staff_experience", "effectiveness"]
display(frame[launch].iloc[::48].round(3))  # every 6 months
ax = plot_effectiveness(baseline)
ax.set_title("The launch baseline: the account grows to its reference")
assert frame["effectiveness"].iloc[-1] > frame["effectiveness"].iloc[0] + 0.1  # it grows
late = frame.loc[36:, "effectiveness"]
assert abs(late - 0.417).max() < 0.04  # and settles near the reference (0.417) from month 36

# %% [markdown]
# `equilibrium=True` starts every factor at its reference instead: that run is
# flat, so any movement in it is caused by a scenario.

# %%
rest = gmsim.simulate(model, equilibrium=True).to_frame()
drift = (rest - rest.iloc[0]).abs().to_numpy().max()
print(f"largest movement of any factor in the run from the reference: {drift:.1e}")
assert drift < 1e-9

# %% [markdown]
# ## Does the model do what the paper says?
#
# The model file states its claims: 51 checks such as "the launch starts slowly"
# or "shifted attention lowers effectiveness", each citing the paper.
# `gmsim.check` runs them all. A claim of kind `tuned` is one the model's
# numbers were set to meet (such as settling near the reference), so it is a
# check of the calibration, not evidence.

# %%
report = gmsim.check(model)
claims = report.to_frame()
print(f"{len(claims)} checks, {int(claims['passed'].sum())} hold")
print(claims.groupby("kind").size().to_string())
display(claims[["name", "kind", "passed", "variable", "scenario", "source"]].head(8))
assert report.passed

# %% [markdown]
# ## Run a scenario and plot it
#
# A scenario is a "what if" stated as data (notebook 2 goes through the
# library). Here: regular professional training from month 6, which the
# operators asked for (2.4.6).

# %%
scenario = gmsim.load_scenario("training-program")
print(scenario.description)
for line in scenario.describe():
    print(" -", line)

result = gmsim.simulate(model, scenario=scenario)
ax = plot_effectiveness(result)

# %% [markdown]
# The result holds every factor's level over time. `to_frame()` gives a
# DataFrame indexed by month (save it with `.to_csv(...)` for a spreadsheet),
# and `final()` the levels at the end of the run.

# %%
outcomes = ["information_disclosure", "public_service", "citizen_engagement", "effectiveness"]
change = (result.final() - baseline.final())[outcomes]
print("Change at month 60 against the launch baseline:")
print(change.round(3).to_string())
assert change["effectiveness"] > 0  # training helps (2.4.6)
for factor in ["staff_capability", "workload"]:
    print(f"{model.factor(factor).label}: {result.final()[factor] - baseline.final()[factor]:+.3f}")
assert result.final()["workload"] > baseline.final()["workload"]  # the push-back described below
display(result.to_frame()[outcomes].iloc[::48])  # every 6 months

# %% [markdown]
# Training raises capability, and so responsiveness and content; but the
# engagement it wins also raises the operators' workload (2.4.6), a barrier
# that pushes back. `plot_overview` draws every factor, one panel per group.

# %%
fig = plot_overview(result)

# %% [markdown]
# ## How much does one judgement matter?
#
# `simulate` runs many parameter sets at once: give `batch` a column per
# parameter (`weight:<cause>-><effect>`, `tau:<factor>`, `initial:<factor>`)
# and a row per run. Here the training-to-capability link is read as moderate,
# strong (the model's choice) or very strong.

# %%
weights = [0.4, 0.6, 0.8]
runs = gmsim.simulate(model, scenario=scenario, batch={"weight:training->staff_capability": weights})
fig, ax = plt.subplots(figsize=(7, 4))
for w, series in zip(weights, runs["effectiveness"], strict=True):  # one row per run
    ax.plot(runs.time, series, label=f"weight {w:g} ({strength(w)})")
ax.plot(baseline.time, baseline["effectiveness"], "k--", label="launch baseline")
ax.set(
    xlabel="month",
    ylabel="effectiveness (0-1)",
    title="Training program under three readings of one link",
)
ax.legend()
fig.tight_layout()

final = runs.final()["effectiveness"]
print("Effectiveness at month 60:", ", ".join(f"{v:.3f}" for v in final))
assert final.is_monotonic_increasing  # a stronger link, a larger effect

# %% [markdown]
# Next: notebook 2 sets the paper's scenarios side by side; notebook 3 finds
# the feedback loops; notebook 4 puts bands around these numbers; notebook 5
# builds a model of your own.
