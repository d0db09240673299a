"""The paper's default model: its factors, its citations, its loops, its packaging."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import networkx as nx
import pytest
from shared_material import find, require

import gmsim

# The ids FACTORS.md says the default model must use (scenarios and users' scripts name them).
FACTOR_IDS = """
living_standards citizen_participation_intent policy_support platform_maturity international_influence
leadership_attention information_resources human_resources funding ict_infrastructure hacker_threat
water_army public_trust regulation digital_divide platform_substitution platform_risk guidelines
staff_rotation staff_experience conservative_culture review_burden staff_capability workload training
collaboration confidentiality_concern information_accuracy responsiveness content_attractiveness
information_disclosure public_service citizen_engagement effectiveness
""".split()


def shared_file(*parts: str) -> Path:
    """A file of the project's shared material (skipped without it, a failure under CI)."""
    return require(find(*parts), "shared/" + "/".join(parts))


@pytest.fixture(scope="module")
def model():
    return gmsim.load_model()


def test_every_factor_of_the_paper_is_in_the_model(model):
    assert set(FACTOR_IDS) <= set(model.factor_ids)


def test_the_factor_list_matches_factors_md():
    path = shared_file("paper", "FACTORS.md")
    listed = re.findall(r"^\| `([a-z_]+)` \|", path.read_text(encoding="utf-8"), flags=re.M)
    assert sorted(listed) == sorted(FACTOR_IDS)


def test_outcomes_and_effectiveness(model):
    outcome = {f.id for f in model.factors if f.group == "outcome"}
    # the abstract's three dimensions, effectiveness, and the audience the account has won
    assert outcome == {
        "information_disclosure",
        "public_service",
        "citizen_engagement",
        "effectiveness",
        "followers",
    }
    assert model.factor("followers").kind == "stock"
    eff = model.factor("effectiveness")
    assert eff.kind == "composite"
    assert {part for part, _ in eff.of} == {
        "information_disclosure",
        "public_service",
        "citizen_engagement",
    }


def test_every_factor_and_link_cites_the_paper(model):
    for f in model.factors:
        assert f.source, f.id
    for item in (*model.links, *model.flows):
        assert re.match(r"^(\d\.\d(\.\d)?|abstract)(, \d\.\d\.\d)*$", item.source), item
        assert len(item.quote) > 15, item


def cited(model):
    """Every link and every flow of the model, with its name, source and quote."""
    return [(f"{k.cause} -> {k.effect}", k.source, k.quote) for k in model.links] + [
        (f"flow {f.name}", f.source, f.quote) for f in model.flows
    ]


def normalise(text: str) -> str:
    for a, b in (("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text)


def test_every_quote_is_verbatim_from_the_paper(model):
    path = shared_file("paper", "zheng2012-government-microblogs.txt")
    paper = normalise(path.read_text(encoding="utf-8"))
    assert model.flows  # flows cite the paper too
    missing = [name for name, _, quote in cited(model) if normalise(quote) not in paper]
    assert missing == []


def test_each_quote_comes_from_the_section_it_cites(model):
    path = shared_file("paper", "zheng2012-government-microblogs.txt")
    text = normalise(path.read_text(encoding="utf-8"))
    starts = {m.group(1): m.start() for m in re.finditer(r" (\d\.\d\.\d) [A-Z]", text)}
    order = sorted(starts.values())
    for name, source, quote in cited(model):
        at = text.index(normalise(quote))
        section = max((s for s, pos in starts.items() if pos <= at), key=lambda s: starts[s])
        sections = [s.strip() for s in source.split(",")]
        assert section in sections, (name, section, sections)
    assert order  # the paper's sections were found


def cycles_through(graph: nx.DiGraph, *nodes: str) -> list[tuple[list[str], int]]:
    found = []
    for cycle in nx.simple_cycles(graph, length_bound=10):
        if all(n in cycle for n in nodes):
            sign = 1
            for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
                sign *= graph.edges[a, b]["sign"]
            found.append((cycle, sign))
    return found


def test_the_success_loop_through_attention_and_funding_is_reinforcing(model):
    """followers -> attention -> funding -> training -> capability -> ... -> followers: an
    account that wins an audience earns leaders' attention (2.2.1), which brings money (2.2.4)."""
    loops = cycles_through(
        model.graph(), "followers", "leadership_attention", "funding", "staff_capability"
    )
    assert loops
    direct = [(c, s) for c, s in loops if "workload" not in c and "review_burden" not in c]
    assert direct and all(sign == 1 for _, sign in direct)


def test_the_trust_loop_is_reinforcing(model):
    """Replies build trust (2.4.6), trust keeps followers (2.3.2), followers earn attention
    (2.2.1), attention brings the staff who reply (2.4.2): every link positive."""
    graph = model.graph()
    loop = ["responsiveness", "public_trust", "followers", "leadership_attention", "staff_capacity"]
    signs = [graph.edges[a, b]["sign"] for a, b in zip(loop, loop[1:] + loop[:1], strict=True)]
    assert signs == [1, 1, 1, 1, 1]
    found = cycles_through(graph, *loop)
    assert any(sorted(c) == sorted(loop) and sign == 1 for c, sign in found)


def test_workload_and_review_close_balancing_loops(model):
    graph = model.graph()
    for node in ("workload", "review_burden"):
        signs = {sign for _, sign in cycles_through(graph, node, "citizen_engagement")}
        assert -1 in signs, node


def test_links_into_the_factor_are_the_ones_the_paper_describes(model):
    into_funding = {link.cause for link in model.links if link.effect == "funding"}
    assert "leadership_attention" in into_funding
    # "as long as the leadership paid attention ... funds would not be a big problem" (2.2.4):
    # attention is a necessary condition of money, not an addition to it
    attention_to_funding = model.link("leadership_attention", "funding")
    assert attention_to_funding.kind == "necessary" and 0 < attention_to_funding.weight <= 1
    # money comes only if "listed ... in their budget in advance" (2.4.3): the lag is the
    # yearly budget decision
    assert model.factor("funding").decide_every == 12


@pytest.mark.slow
def test_the_wheel_carries_every_module_and_every_library_file(tmp_path):
    """A plain (non-editable) install must have all the code and all the model files."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("gmsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    code = {p.relative_to(root).as_posix() for p in (root / "gmsim").rglob("*.py")}
    library = {
        "gmsim/" + p.relative_to(root).as_posix()
        for p in (root / "models").rglob("*")
        if p.suffix in (".toml", ".py") and "__pycache__" not in p.parts
    }
    assert "gmsim/models/gov_microblog.toml" in library
    assert any(n.startswith("gmsim/models/scenarios/") and n.endswith(".toml") for n in library)
    assert code - names == set()
    assert library - names == set()


def test_the_readme_counts_match_the_model(model):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    counts = re.search(
        r"has (\d+) factors — every id of the paper's factor list plus (.+?) — (\d+) links and "
        r"(\d+) flows",
        text,
    )
    assert counts, "README: the sentence with the default model's counts changed"
    assert (int(counts[1]), int(counts[3]), int(counts[4])) == (
        len(model.factors),
        len(model.links),
        len(model.flows),
    )
    added = set(re.findall(r"`([a-z_]+)`", counts[2]))
    assert added == set(model.factor_ids) - set(FACTOR_IDS)
    claims = re.search(r"\((\d+) in all, (\d+) of them validation and (\d+) tuning", text)
    assert claims and int(claims[1]) == len(model.checks) == int(claims[2]) + int(claims[3])
    assert int(claims[3]) == sum(1 for c in model.checks if c.tuned)
