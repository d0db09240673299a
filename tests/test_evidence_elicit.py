"""`gmsim elicit`: three experts who agree give exactly their term's weight and zero spread; the
written spec runs as it is with `gmsim uncertainty`; the template lists every link."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from evidence_material import write_tiny

import gmsim
from gmsim.cli import main
from gmsim.evidence.elicit import TERMS, aggregate


@pytest.mark.parametrize("term", sorted(TERMS))
def test_three_experts_who_agree_give_their_terms_weight_and_no_spread(term):
    rows = [
        {"expert": e, "from": "a", "to": "b", "rating": term, "confidence": c}
        for e, c in zip("xyz", (1, 0.5, 0.2), strict=True)
    ]
    agg = aggregate(rows)["a->b"]
    assert agg.weight == pytest.approx(TERMS[term][1], abs=1e-12)
    assert agg.spread == 0.0 and agg.experts == 3


def test_confidence_weights_the_centroids():
    rows = [
        {"expert": "x", "from": "a", "to": "b", "rating": "+moderate", "confidence": 1.0},
        {"expert": "y", "from": "a", "to": "b", "rating": "+very strong", "confidence": 0.5},
    ]
    agg = aggregate(rows)["a->b"]
    assert agg.weight == pytest.approx((0.4 + 0.5 * 0.8) / 1.5)
    assert agg.spread > 0 and agg.low == pytest.approx(0.3) and agg.high == pytest.approx(0.9)


def test_the_command_writes_a_model_an_agreement_table_and_a_spec_that_runs(tmp_path, capsys):
    model, scenario = write_tiny(tmp_path)
    sheet = tmp_path / "ratings.csv"
    sheet.write_text(
        "expert,from,to,rating,confidence\n"
        "ann,drive,a,+strong,1\nbo,drive,a,+strong,0.5\ncy,drive,a,+strong,\n"
        "ann,a,b,+moderate,\nbo,a,b,+very strong,0.8\ncy,a,b,0.5,\n"
    )
    out = tmp_path / "out"
    assert main(["elicit", str(sheet), "--model", str(model), "--out", str(out)]) == 0
    table = pd.read_csv(out / "agreement.csv")
    assert list(table.columns[:4]) == ["link", "weight", "spread", "experts"]
    row = table.set_index("link").loc["drive->a"]
    assert row["weight"] == pytest.approx(0.6) and row["spread"] == 0 and row["experts"] == 3
    elicited = gmsim.load_model(out / "model.toml")
    assert next(lk for lk in elicited.links if lk.cause == "drive").weight == pytest.approx(0.6)
    text = (out / "model.toml").read_text()
    assert "# elicited: 3 experts in ratings.csv" in text and "weight = 0.6   # moderate" in text
    capsys.readouterr()
    unc = tmp_path / "unc"
    code = main(["uncertainty", str(out / "model.toml"), "--spec", str(out / "uncertainty.toml"),
                 "--scenario", str(scenario), "--runs", "32", "--out", str(unc)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert (unc / "bands.csv").is_file()


def test_the_template_lists_every_link_with_its_quote(tmp_path):
    out = tmp_path / "sheet"
    assert main(["elicit", "--template", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO((out / "ratings.csv").read_text())))
    model = gmsim.load_model()
    assert [(r["from"], r["to"]) for r in rows] == [(lk.cause, lk.effect) for lk in model.links]
    assert all(r["quote"] == lk.quote for r, lk in zip(rows, model.links, strict=True))
    assert {"section", "quote", "expert", "rating"} <= set(rows[0])


def test_the_template_never_replaces_a_filled_sheet(tmp_path, capsys):
    out = tmp_path / "sheet"
    assert main(["elicit", "--template", "--out", str(out)]) == 0
    assert main(["elicit", "--template", "--out", str(out)]) == 0  # the same empty sheet again
    sheet = out / "ratings.csv"
    lines = sheet.read_text(encoding="utf-8").splitlines()
    filled = "\n".join([lines[0], "ann" + lines[1].replace(",,,", ",+strong,,", 1), *lines[2:]]) + "\n"
    sheet.write_text(filled, encoding="utf-8")
    capsys.readouterr()
    assert main(["elicit", "--template", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "ratings.csv: exists and is not the empty sheet (it may hold ratings)" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sheet.read_text(encoding="utf-8") == filled


def test_an_experts_name_with_a_control_character_is_refused_with_its_line(tmp_path, capsys):
    out = tmp_path / "sheet"
    assert main(["elicit", "--template", "--out", str(out)]) == 0
    lines = (out / "ratings.csv").read_text(encoding="utf-8").splitlines()
    sheet = tmp_path / "ratings.csv"
    sheet.write_text(lines[0] + "\n" + "\x1b[31mann" + lines[1].replace(",,,", ",+strong,,", 1) + "\n")
    capsys.readouterr()
    assert main(["elicit", str(sheet), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{sheet}:2: the expert's name holds the control character \\x1b; remove it" in err, err
    assert "\x1b" not in err and not (tmp_path / "o").exists()
