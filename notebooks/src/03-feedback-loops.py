"""Source of notebooks/03-feedback-loops.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 3. Feedback loops: which ones drive the account, and when
#
# The paper's findings chain into circles. A growing account earns leaders'
# attention (its followers, 2.2.1), attention assigns staff and brings funds
# (2.4.2, 2.4.3), and a better-staffed account wins more followers: a
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
# signs. `→||` marks a delayed link. The shortest, R1, is the followers' own
# circle: followers engage, and engagement brings more followers.

# %%
table = loops.to_frame()
display(table.drop(columns=["kind", "variables"]).head(10).set_index("id"))

# %% [markdown]
# The paper's seventh claim is about polarity: success feeds back through
# leaders' attention (2.2.1, 2.4.2) and the funds it brings (2.4.3), while
# workload and attacks on influential accounts push back (2.4.6, 2.3.3).
# `through` picks the loops that pass through given factors; the shortest of
# each family shows its character. (Most families hold loops of both
# polarities: the shortest is only the most direct path.)

# %%
families = {
    "attention earned by followers (2.2.1, 2.4.2)": ("leadership_attention", "followers"),
    "funds follow attention (2.4.3)": ("leadership_attention", "funding"),
    "workload of engagement (2.4.6)": ("workload", "citizen_engagement"),
    "attacks on influential accounts (2.3.3)": ("hacker_threat", "followers"),
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

# claim 7: the success loops' shortest paths reinforce, workload and attacks balance
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
# followers earn leaders' attention.

# %%
success = loops.through("leadership_attention", "followers").reinforcing[0]
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
# The baseline is a launch, in which every loop moves at once as the account
# grows. To see what a policy itself sets in motion, start from the reference
# levels (`equilibrium=True`): that run is at rest, so every movement comes
# from the scenario. Take leaders who pay the account more attention from
# month 6 (`attention-boost`, 2.4.2). `loop_dominance` scores every loop at
# every saved month by how much of the change of its factors it causes, and
# compares loops by their *relative* scores (in each run, the absolute
# relative scores add up to 1).
#
# The scenario *holds* attention at 0.8, so every loop through attention is
# cut while it is held (`dominance.cuts`): what remains is how the rest of the
# account responds to the attention given.

# %%
dominance = gmsim.loop_dominance(model, scenario="attention-boost", equilibrium=True)
cut = {c.loop for c in dominance.cuts}
print(
    f"{len(cut)} loops cut (through the held attention) from month {min(c.start for c in dominance.cuts):g}"
)
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
        f"With attention held high the loop that leads longest is **{lead['id']}** "
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
# lose share. Leaders who turn away from the account at month 15
# (`attention-shift`: attention held at 0.2) against leaders who stay attentive
# (`attention-boost`), both from the reference:

# %%
shift = gmsim.dominance_shift(model, "attention-shift", against="attention-boost", equilibrium=True)
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
polarity = "reinforcing" if loop.polarity == "R" else "balancing"
text = (
    f"When leaders turn away, **{top['id']}** ({polarity}: {top['name']}) {direction} the most "
    f"share: {top['share_scenario']:.0%} of the motion on average, against "
    f"{top['share_reference']:.0%} when they stay attentive. Neither run scores the loops through "
    "attention itself, which both scenarios hold: the shift is in how the account's staff, "
    "content and followers respond."
)
display(Markdown(text))
