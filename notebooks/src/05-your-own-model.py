"""Source of notebooks/05-your-own-model.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 5. Your own model: copy, change, validate, run, compare
#
# The default model is one reading of the paper. Yours may differ: a link you
# judge stronger, a factor the model leaves out. A model is a plain TOML file,
# so you change it in a text editor, and gmsim checks it before it runs.
#
# This notebook works on a copy in a temporary folder. It makes its edits in
# Python so that it runs unattended; by hand you would open the file and type
# them. Then it validates the copy (and shows what a mistake looks like), runs
# both models on the same scenarios, and compares them.

# %%
# %matplotlib inline
import difflib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import gmsim
from gmsim.analysis.comparison import end_of_horizon, format_end_table

pd.set_option("display.width", 160)

workdir = tempfile.TemporaryDirectory(prefix="gmsim-own-model-")
folder = Path(workdir.name)
path = folder / "my_model.toml"
shutil.copy(gmsim.default_model_path(), path)
original_text = path.read_text(encoding="utf-8")
print(f"copied the default model to {path.name}: {len(original_text.splitlines())} lines")
print("\n".join(original_text.splitlines()[:5]))

# %% [markdown]
# ## Change two weights
#
# Each link is a `[[links]]` table: `from`, `to`, `weight` in [-1, 1], the
# paper `source` and the `quote` that justifies it. Two readings of our own:
#
# - Full-process review: "timeliness will be hurt" (2.4.5). We read the link
#   from review to responsiveness as *very strong* (-0.8) rather than strong.
# - Funds follow attention (2.2.4), but the Bureau of Finance "haven't listed
#   this item in their budget in advance" (2.4.3): we read the link from
#   attention to funding as *strong* (0.6) rather than very strong. (It is a
#   `necessary` link: without attention there are no funds whatever else
#   helps; the weight sets how much attention brings.)


# %%
def set_weight(text: str, cause: str, effect: str, weight: float) -> str:
    """The model file's text with the weight of the link `cause -> effect` replaced."""
    pattern = re.compile(
        rf'(\[\[links\]\]\s*\nfrom\s*=\s*"{cause}"\s*\nto\s*=\s*"{effect}"\s*\n'
        rf"(?:kind\s*=.*\n)?weight\s*=\s*)(\S+)"
    )
    new, count = pattern.subn(rf"\g<1>{weight}", text)
    if count != 1:
        raise ValueError(f"expected one link {cause} -> {effect}, found {count}")
    return new


text = set_weight(original_text, "review_burden", "responsiveness", -0.8)
text = set_weight(text, "leadership_attention", "funding", 0.6)

# %% [markdown]
# ## Add a factor, with a link that cites its section
#
# The paper says that "the leadership often lacks a thorough understanding of
# the features of microblogs", running the account like a newspaper with
# "editing assemblies every morning and night" (2.4.5). The default model
# has `leaders_understanding`, which attentive leaders learn slowly by using
# microblogs (2.2.1). We add a lever from outside: `leader_microblog_literacy`,
# what leaders are taught (exogenous, low at first), with a moderate negative
# link to the review burden: leaders who know microblogs review less.

# %%
NEW_FACTOR = """
[factors.leader_microblog_literacy]
label = "Leaders' microblog literacy"
group = "internal_barrier"
kind = "exogenous"
initial = 0.3
source = "2.4.5"
note = "Leaders who view operating microblogs 'as the same way as publishing a newspaper' (2.4.5)."

[[links]]
from = "leader_microblog_literacy"
to = "review_burden"
weight = -0.4
source = "2.4.5"
quote = "The leader who is responsible for government microblogs doesn't have a good knowledge of them."
"""
text += NEW_FACTOR
path.write_text(text, encoding="utf-8")

diff = difflib.unified_diff(
    original_text.splitlines(), text.splitlines(), "default model", path.name, n=0, lineterm=""
)
print("\n".join(diff))

# %% [markdown]
# ## Validate
#
# `gmsim.load_model` reads and checks the file: every factor and link named,
# every weight in range, every key known. On the command line the same check
# is `gmsim validate my_model.toml`.

# %%
mine = gmsim.load_model(path)
original = gmsim.load_model()
print(f"{mine.name}: {len(mine.factors)} factors, {len(mine.links)} links")
print(
    "changed:",
    mine.link("review_burden", "responsiveness").weight,
    mine.link("leadership_attention", "funding").weight,
)
print("added:", mine.factor("leader_microblog_literacy").label)

cli = [sys.executable, "-m", "gmsim", "validate"]
check = subprocess.run([*cli, path.name], cwd=folder, capture_output=True, text=True)
print(f"\n$ gmsim validate {path.name}   (exit code {check.returncode})\n{check.stdout}{check.stderr}")
assert check.returncode == 0

# %% [markdown]
# ### What a mistake looks like
#
# Suppose the new link were typed with a misspelt factor and a weight outside
# [-1, 1]. gmsim lists every problem at once, each with the file and line, what
# it expected, and a suggestion; the command line prints the same lines and
# exits with code 2, without a traceback.

# %%
broken = folder / "broken.toml"
broken.write_text(
    text.removesuffix(NEW_FACTOR)
    + NEW_FACTOR.replace('to = "review_burden"\nweight = -0.4', 'to = "reveiw_burden"\nweight = -1.4'),
    encoding="utf-8",
)
try:
    gmsim.load_model(broken)
except gmsim.ModelError as error:
    print(error)
    message = str(error)
assert "did you mean 'review_burden'" in message and "must be in [-1, 1]" in message

check = subprocess.run([*cli, broken.name], cwd=folder, capture_output=True, text=True)
print(f"\n$ gmsim validate {broken.name}   (exit code {check.returncode})\n{check.stdout}{check.stderr}")
assert check.returncode == 2 and "Traceback" not in check.stderr

# %% [markdown]
# ## Run both models
#
# In both, the biases are solved so that the reference levels are at rest:
# started there (`equilibrium=True`) neither model moves, whatever its new
# weights. The baseline, though, is the launch, and the new weights change how
# the account grows to its reference, so the two baselines differ on the way.
# We run both models on the same two library scenarios, full review and
# streamlined review (2.4.5), and read them at the end of the run.

# %%
for model in (original, mine):
    rest = gmsim.simulate(model, equilibrium=True).to_frame()
    assert (rest - rest.iloc[0]).abs().to_numpy().max() < 1e-9

scenarios = ["full-review", "streamlined-review"]
runs = pd.concat(
    [
        gmsim.compare(original, scenarios=scenarios).assign(model="default"),
        gmsim.compare(mine, scenarios=scenarios).assign(model="mine"),
    ]
)
ends = (
    runs[runs["time"] == runs["time"].max()]
    .pivot_table(index="scenario", columns=["variable", "model"], values="value")
    .loc[["baseline", *scenarios], ["responsiveness", "funding", "effectiveness"]]
)
display(ends.round(3))

# %% [markdown]
# With the stronger review link, full review hurts responsiveness more, and
# streamlining it helps more. Funding feels both changes at once: the account
# moves more, which draws more or less of leaders' attention, but each unit of
# attention now brings less money at the yearly budget decision. The numbers
# say which wins.

# %%
gap = ends.xs("mine", axis=1, level="model") - ends.xs("default", axis=1, level="model")
for name in scenarios:
    change = gap.loc[name, "responsiveness"]
    print(
        f"{name}: responsiveness at month 60 is {abs(change):.3f} {'higher' if change > 0 else 'lower'} in my model"
    )
assert gap.loc["full-review", "responsiveness"] < 0 < gap.loc["streamlined-review", "responsiveness"]
moved = ends["funding"].sub(ends.loc["baseline", "funding"]).abs()
for name in scenarios:
    a, b = moved.loc[name, "mine"], moved.loc[name, "default"]
    verdict = "about as much as" if abs(a - b) < 0.005 else "more than" if a > b else "less than"
    print(f"{name}: funding moves {a:.3f} in my model, {verdict} in the default ({b:.3f})")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, name in zip(axes, scenarios, strict=True):
    for model_name, style in (("default", "--"), ("mine", "-")):
        run = runs[(runs["model"] == model_name) & (runs["scenario"] == name)]
        for variable in ["responsiveness", "effectiveness"]:
            series = run[run["variable"] == variable]
            ax.plot(series["time"], series["value"], style, label=f"{variable} ({model_name})")
    ax.set(title=name, xlabel="month")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("level (0-1)")
axes[1].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## A scenario only your model can run
#
# The new factor is a lever of its own: train the leaders. A scenario that
# names `leader_microblog_literacy` runs on your model; on the default model
# gmsim refuses it and says why.

# %%
leaders_trained = gmsim.Scenario.from_dict(
    {
        "scenario": {
            "name": "leaders-trained",
            "description": "Leaders learn how microblogs work from month 6 (paper 2.4.5).",
        },
        "interventions": [
            {"kind": "step", "target": "leader_microblog_literacy", "at": 6, "value": 0.7}
        ],
    }
)
try:
    gmsim.simulate(original, scenario=leaders_trained)
except gmsim.ScenarioError as error:
    print("on the default model:", error)

own = gmsim.compare(mine, scenarios=[leaders_trained, "streamlined-review"])
table = end_of_horizon(own, variables=["effectiveness", "public_service", "citizen_engagement"])
print(format_end_table(table, time=own["time"].max()))
assert (
    table.query("scenario == 'leaders-trained' and variable == 'effectiveness'")["difference"].item() > 0
)

# %% [markdown]
# The new factor is exogenous, so it adds no feedback loop; the loops are
# those of the default model:

# %%
print("default:", gmsim.find_loops(original).summary())
print("mine:   ", gmsim.find_loops(mine).summary())

# %%
workdir.cleanup()  # remove the temporary folder and its files
