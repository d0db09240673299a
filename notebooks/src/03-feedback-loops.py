"""Source of notebooks/03-feedback-loops.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 3. Feedback loops: which ones drive the account, and when
#
# The paper's findings chain into circles. Effective accounts earn leaders'
# attention (2.4.2), attention brings funds (2.2.4, 2.4.3), funds pay for
# training and staff (2.4.6), and better-run accounts are more effective: a
# **reinforcing** loop, a virtuous circle that runs as a vicious one in
# reverse. Engagement brings work, and work slows replies (2.4.6): a
# **balancing** loop that holds growth back.
#
# This notebook lists the model's loops, draws the causal loop diagram, and
# uses the *Loops That Matter* method (Schoenberg, Davidsen & Eberlein 2020) to
# see which loops drive a run at each moment, and how a scenario shifts that.

# %%
# %matplotlib inline
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import gmsim
from gmsim.analysis.diagram import to_dot

pd.set_option("display.max_colwidth", 110)
pd.set_option("display.width", 180)

model = gmsim.load_model()
loops = gmsim.find_loops(model)
print(loops.summary())

# %% [markdown]
# ## The loops
#
# Each loop has an id (`R` reinforcing, `B` balancing, numbered shortest
# first), its links in order, and its polarity: the product of its links'
# signs. `→||` marks a delayed link (leaders notice success with a delay of
# three months; funds follow attention through the budget cycle).

# %%
table = loops.to_frame()
display(table.drop(columns=["kind", "variables"]).head(10).set_index("id"))

# %% [markdown]
# The paper's seventh claim is about polarity: success feeds back through
# leaders' attention and citizens' trust (2.4.2, 2.3.2), while workload and
# review push back. `through` picks the loops that pass through given factors;
# the shortest of each family shows its character.

# %%
families = {
    "trust earned by success (2.3.2)": ("public_trust", "effectiveness"),
    "attention earned by success (2.4.2)": ("leadership_attention", "effectiveness"),
    "workload of engagement (2.4.6)": ("workload", "citizen_engagement"),
    "review of engagement (2.4.4, 2.4.5)": ("review_burden", "citizen_engagement"),
}
rows = []
for family, factors in families.items():
    found = loops.through(*factors)
    rows.append(
        {
            "family": family,
            "loops": len(found),
            "reinforcing": len(found.reinforcing),
            "balancing": len(found.balancing),
            "shortest": found[0].id,
            "its polarity": found[0].polarity,
            "shortest loop": found[0].name,
        }
    )
families_table = pd.DataFrame(rows).set_index("family")
display(families_table)

# claim 7: success loops reinforce, workload and review loops balance
assert list(families_table["its polarity"]) == ["R", "R", "B", "B"]

# %% [markdown]
# ## The causal loop diagram
#
# Factors sit in bands by the paper's groups: enablers on top, processes and
# outcomes in the middle, barriers below. Blue links are positive, red
# negative; width grows with the weight; `||` marks a delay; dashed borders are
# exogenous factors.

# %%
ax = gmsim.plot_diagram(model)

# %% [markdown]
# One loop at a time is easier to read: here the shortest loop through which
# success earns leaders' attention.

# %%
success = loops.through("leadership_attention", "effectiveness").reinforcing[0]
print(success)
ax = gmsim.plot_diagram(model, loop=success.id)

# %% [markdown]
# The same diagram exports to Graphviz DOT (and GraphML for Gephi, yEd or
# Kumu, through `gmsim.analysis.diagram.save_diagram` or `gmsim diagram` on the command
# line):

# %%
dot = to_dot(model)
print("\n".join(dot.splitlines()[:12]), "\n...")

# %% [markdown]
# ## Loop dominance over time
#
# The baseline is at rest, so no loop is active in it: every movement comes
# from a scenario. Take shifts of three months (2.4.1): at each handover the
# successor keeps 40 % of the experience. `loop_dominance` scores every loop
# at every saved month by how much of the change of its factors it causes,
# and compares loops by their *relative* scores (in each run, the absolute
# relative scores add up to 1).

# %%
dominance = gmsim.loop_dominance(model, scenario="rotation-3m")
relative = dominance.to_frame()
active = relative.abs().sum(axis=1) > 0
assert np.allclose(relative[active].abs().sum(axis=1), 1.0)
fig = dominance.plot(top=6)

# %% [markdown]
# `periods(by="polarity")` says when the reinforcing or the balancing loops
# together hold the majority; `summary()` ranks the loops by their share.

# %%
periods = dominance.periods(by="polarity")
display(periods[["start", "end", "polarity", "share", "loop"]].round(3))
summary = dominance.summary()
display(summary[["id", "polarity", "mean_share", "months_top", "name"]].head(5).round(3).set_index("id"))

# %%
lead = summary.iloc[0]
leading = dominance.dominant()
last_year = leading[leading.index >= dominance.time[-1] - 12]
reinforcing_share = float((last_year["reinforcing"] > last_year["balancing"]).mean())
adjustment = float(np.nanmean(dominance.adjustment_share))
display(
    Markdown(
        f"Under three-month shifts the loop that leads longest is **{lead['id']}** "
        f"({'reinforcing' if lead['polarity'] == 'R' else 'balancing'}, {lead['name']}), at the top for "
        f"{lead['months_top']:g} of {dominance.time[-1]:g} months. In the last year of the run the "
        f"reinforcing loops together hold the majority {reinforcing_share:.0%} of the time. Beside "
        "the loops of the diagram, the factors' own adjustment loops (their inertia, left out of the "
        f"relative scores above) hold on average {adjustment:.0%} of the total loop score."
    )
)

# %% [markdown]
# ## A dominance shift under a scenario
#
# `dominance_shift` scores the same loops in two runs and shows which gain or
# lose share. Three-month shifts against full-time posts (2.4.1):

# %%
shift = gmsim.dominance_shift(model, "rotation-3m", against="full-time-posts")
moved = shift.table()
display(
    moved[["id", "polarity", "share_scenario", "share_reference", "change", "name"]]
    .head(6)
    .round(3)
    .set_index("id")
)
fig = shift.plot(top=5)

# %%
top = moved.iloc[0]
loop = loops[top["id"]]
direction = "gains" if top["change"] > 0 else "loses"
text = (
    f"With three-month shifts, **{top['id']}** ({top['name']}) {direction} the most share: "
    f"{top['share_scenario']:.0%} of the motion on average, against {top['share_reference']:.0%} "
    "with full-time posts."
)
falls = dominance.levels["effectiveness"].iloc[-1] < dominance.levels["effectiveness"].iloc[0]
if loop.polarity == "R" and "leadership_attention" in loop and "funding" in loop and falls:
    text += (
        " It is a success loop running in reverse: lost experience lowers effectiveness, leaders' "
        "attention follows it down (2.4.2), funds follow attention (2.4.3), and the account "
        "loses what it would need to recover, a vicious circle the paper's managers describe when "
        "accounts are abandoned."
    )
display(Markdown(text))
