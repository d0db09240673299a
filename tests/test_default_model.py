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
    assert outcome == {"information_disclosure", "public_service", "citizen_engagement", "effectiveness"}
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
    for link in model.links:
        assert re.match(r"^(\d\.\d(\.\d)?|abstract)(, \d\.\d\.\d)*$", link.source), link
        assert len(link.quote) > 15, link


def normalise(text: str) -> str:
    for a, b in (("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text)


def test_every_quote_is_verbatim_from_the_paper(model):
    path = shared_file("paper", "zheng2012-government-microblogs.txt")
    paper = normalise(path.read_text(encoding="utf-8"))
    missing = [(link.cause, link.effect) for link in model.links if normalise(link.quote) not in paper]
    assert missing == []


def test_each_quote_comes_from_the_section_it_cites(model):
    path = shared_file("paper", "zheng2012-government-microblogs.txt")
    text = normalise(path.read_text(encoding="utf-8"))
    starts = {m.group(1): m.start() for m in re.finditer(r" (\d\.\d\.\d) [A-Z]", text)}
    order = sorted(starts.values())
    for link in model.links:
        at = text.index(normalise(link.quote))
        section = max((s for s, pos in starts.items() if pos <= at), key=lambda s: starts[s])
        cited = [s.strip() for s in link.source.split(",")]
        assert section in cited, (link.cause, link.effect, section, cited)
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
    """effectiveness -> attention -> funding -> training -> capability -> ... -> effectiveness."""
    loops = cycles_through(
        model.graph(), "effectiveness", "leadership_attention", "funding", "staff_capability"
    )
    assert loops
    direct = [(c, s) for c, s in loops if "workload" not in c and "review_burden" not in c]
    assert direct and all(sign == 1 for _, sign in direct)


def test_the_trust_loop_is_reinforcing(model):
    loops = cycles_through(model.graph(), "effectiveness", "public_trust", "citizen_engagement")
    shortest = min(loops, key=lambda item: len(item[0]))
    assert sorted(shortest[0]) == ["citizen_engagement", "effectiveness", "public_trust"]
    assert shortest[1] == 1


def test_workload_and_review_close_balancing_loops(model):
    graph = model.graph()
    for node in ("workload", "review_burden"):
        signs = {sign for _, sign in cycles_through(graph, node, "citizen_engagement")}
        assert -1 in signs, node


def test_links_into_the_factor_are_the_ones_the_paper_describes(model):
    into_funding = {link.cause for link in model.links if link.effect == "funding"}
    assert "leadership_attention" in into_funding
    attention_to_funding = model.link("leadership_attention", "funding")
    assert attention_to_funding.weight > 0 and attention_to_funding.delay > 0


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


def test_the_readme_factor_table_matches_the_model(model):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    counts = re.search(r"(\d+) factors — every id of the paper's factor list — and (\d+) links", readme)
    assert counts and (int(counts[1]), int(counts[2])) == (len(model.factors), len(model.links))
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", readme, flags=re.M)}
    for f in model.factors:
        row = rows[f.id]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == f.group.replace("_", " ") and cells[3] == f.kind and cells[6] == f.source, (
            f.id
        )
        if f.kind != "composite":
            assert float(cells[4]) == f.initial, f.id
        if f.kind == "endogenous":
            assert float(cells[5]) == f.tau, f.id
