"""The paper's claims travel with the default model as its ``[[checks]]``.

``gmsim check`` runs them; these tests ask that every claim of the default model
holds, that the seven claims of ../shared/paper/FACTORS.md are among them (each
found by the words of the claim: scenario, variable and direction), and that
the checks can fail: a copy of the model in which leaders' attention *cuts*
funding makes ``gmsim check`` exit 1 and name the claims it breaks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from shared_material import find, require

import gmsim

MODEL_FILE = Path(gmsim.load_model().path)


@pytest.fixture(scope="module")
def report():
    return gmsim.check()


@pytest.fixture(scope="module")
def rows(report):
    return {r["name"]: r for r in report.rows}


def test_every_claim_of_the_default_model_holds(report):
    assert report.rows, "the default model has no [[checks]]"
    assert report.passed, report.table()
    for r in report.rows:
        assert r["source"] and r["quote"], r["name"]  # each claim cites the paper


# The seven claims of FACTORS.md, each as the checks that state its words:
# (scenario, against, variable, expect). `against` None means the baseline.
SEVEN = {
    1: [  # effectiveness rises with attention; withdrawal lowers funding, then effectiveness
        ("attention-boost", None, "effectiveness", "higher"),
        ("attention-shift", None, "effectiveness", "lower"),
        ("attention-shift", None, "funding", "lower"),
        ("attention-shift", None, "funding", "precedes"),
    ],
    2: [  # 3-month rotation below 6-month below full-time posts; experience lost
        ("rotation-3m", "rotation-6m", "effectiveness", "lower"),
        ("rotation-6m", "full-time-posts", "effectiveness", "lower"),
        ("rotation-3m", "full-time-posts", "staff_experience", "lower"),
    ],
    3: [  # full review: lower responsiveness and public service
        ("full-review", None, "responsiveness", "lower"),
        ("full-review", None, "public_service", "lower"),
    ],
    4: [  # training raises capability and effectiveness; workload erodes capability
        ("training-program", None, "staff_capability", "higher"),
        ("training-program", None, "effectiveness", "higher"),
        ("workload-overload", None, "staff_capability", "lower"),
    ],
    5: [  # a hacker attack or a water-army surge damages trust and engagement
        ("hacker-attack", None, "public_trust", "lower"),
        ("hacker-attack", None, "citizen_engagement", "lower"),
        ("water-army-surge", None, "public_trust", "lower"),
        ("water-army-surge", None, "citizen_engagement", "lower"),
    ],
    6: [  # collaboration improves public service in emergencies
        ("emergency-collaboration", "emergency", "public_service", "higher"),
    ],
    7: [  # success (a lever touching neither) earns leaders' attention and citizens' trust
        ("training-program", None, "leadership_attention", "higher"),
        ("training-program", None, "public_trust", "higher"),
    ],
}


def factors_md_claims() -> dict[int, tuple[str, set[str]]]:
    """FACTORS.md's numbered claims: their text and the sections they cite."""
    text = require(find("paper", "FACTORS.md"), "shared/paper/FACTORS.md").read_text(encoding="utf-8")
    block = text.split("Claims of the paper", 1)[1]
    claims = {}
    for number, body in re.findall(r"^(\d)\. (.+?)(?=^\d\. |\Z)", block, flags=re.M | re.S):
        claims[int(number)] = (" ".join(body.split()), set(re.findall(r"\d\.\d\.\d", body)))
    return claims


def matching(rows, scenario, against, variable, expect):
    out = []
    for r in rows.values():
        comparison = r["against"] if r["against"] not in (None, "", "baseline") else None
        if (r["scenario"], comparison, r["variable"], r["expect"]) == (
            scenario,
            against,
            variable,
            expect,
        ):
            out.append(r)
    return out


def test_the_seven_claims_of_factors_md_are_checks_of_the_model(rows):
    claims = factors_md_claims()
    assert sorted(claims) == sorted(SEVEN)
    for number, wanted in SEVEN.items():
        words, sections = claims[number]
        found = []
        for spec in wanted:
            hits = matching(rows, *spec)
            assert hits, (number, spec, words)
            assert all(h["passed"] for h in hits), (number, spec)
            found += hits
        cited = {r["source"] for r in found}
        # every claim's checks cite the paper's sections; claims 1-6 the very sections
        # FACTORS.md gives (claim 7's checks cite where the paper states each feedback)
        assert all(re.fullmatch(r"\d\.\d\.\d", s) for s in cited), (number, cited)
        if number != 7:
            assert cited & sections, (number, cited, sections)


def test_claim_7_workload_and_review_close_balancing_loops():
    """The second half of claim 7 is structure. Engagement loads the operators, whose
    load slows replies, which costs engagement: a loop with one negative link per pair
    of positives is balancing. Review lies on balancing loops too (in this model through
    the workload: leaders' understanding lightens review, and the engagement it wins loads
    the staff)."""
    loops = [loop for loop in gmsim.find_loops(gmsim.load_model()) if loop.kind == "feedback"]
    short = [
        loop
        for loop in loops
        if set(loop.variables) == {"workload", "responsiveness", "citizen_engagement"}
    ]
    assert [loop.polarity for loop in short] == ["B"]
    assert any(loop.polarity == "B" and "review_burden" in loop for loop in loops)


def flipped_copy(tmp_path: Path) -> Path:
    """The default model with leaders' attention *lowering* funding: the necessary link
    attention -> funding (weight 0.9) becomes an additive link of weight -0.9."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    old = 'from = "leadership_attention"\nto = "funding"\nkind = "necessary"\nweight = 0.9 '
    assert text.count(old) == 1, "the attention -> funding link moved; update this test"
    path = tmp_path / "flipped.toml"
    path.write_text(text.replace(old, 'from = "leadership_attention"\nto = "funding"\nweight = -0.9 '))
    link = gmsim.load_model(path).link("leadership_attention", "funding")
    assert (link.kind, link.weight) != ("necessary", 0.9) and link.weight < 0
    return path


@pytest.mark.slow
def test_flipping_attention_to_funding_fails_the_check_naming_the_claims(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "gmsim", "check", str(flipped_copy(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failed = re.findall(r"^  FAIL (\S+)", done.stdout, flags=re.M)
    assert failed
    named = done.stdout.split("Failures:", 1)[1]
    for name in failed:
        assert f"  {name}: " in named, name  # each failure is named with its numbers
    # withdrawn attention must now *raise* the budget: the claim that it steps down fails
    assert "budget-steps-at-decision" in failed
    total = len(re.findall(r"^  (?:PASS|FAIL) ", done.stdout, flags=re.M))
    assert f"{total - len(failed)} of {total} pass" in done.stdout
