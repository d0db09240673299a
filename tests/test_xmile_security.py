"""Loading untrusted XMILE runs no code from the file and reads no other file.

A model file is data. These tests feed gmsim files crafted to break out:
Python in a ``<doc>`` (the way another engine can be made to run code at load
time), Python-looking equations and names, entity expansion ("billion
laughs"), external entities and DTDs, and modules that point at other files.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from xmile_models import aux, document, flow, model, stock

import gmsim
from gmsim.cli import main
from gmsim.errors import ModelError
from gmsim.xmile import load_xmile, load_xmile_text


def _payload(target: Path) -> str:
    """Python that writes ``target`` if anything ever executes it."""
    return f"import pathlib; pathlib.Path({str(target)!r}).write_text('executed')"


def test_python_in_a_doc_is_never_executed(tmp_path):
    target = tmp_path / "pwned.txt"
    code = _payload(target)
    doc = f"\"\"\"\n{code}\n\"\"\"\n'''{code}'''\n#{code}\n"
    text = document(
        stock("water", "10", outflows=("drain",)).replace("<eqn>", f"<doc><![CDATA[{doc}]]></doc><eqn>"),
        flow("drain", "water / 4"),
        aux("note", "1").replace(
            "<eqn>", f"<doc>{doc.replace('<', '&lt;')}</doc><units>{code}</units><eqn>"
        ),
    ).replace("<header>", f"<header><caption>{code}</caption>")
    path = tmp_path / "model.xmile"
    path.write_text(text)
    m = load_xmile(path)
    result = gmsim.simulate(m)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    assert result["water"][-1] == pytest.approx(10 * 0.75**10)  # the model itself ran
    assert m.variable("water").doc.startswith('"""')  # the doc is kept as text
    assert not target.exists()


@pytest.mark.parametrize(
    "equation",
    [
        "__import__('os').system('touch {target}')",
        "exec(\"open('{target}', 'w')\")",
        "eval(compile('1', 'x', 'eval'))",
        "water.__class__",
        "\"\"\" + open('{target}', 'w').write('x') + \"\"\"",
    ],
)
def test_python_in_an_equation_is_an_error_and_runs_nothing(tmp_path, equation):
    target = tmp_path / "pwned.txt"
    with pytest.raises(ModelError) as err:
        model(stock("water", "10"), aux("sneaky", equation.format(target=target)))
    assert "variable 'sneaky'" in str(err.value)
    assert not target.exists()


def test_python_in_names_is_just_a_name(tmp_path):
    target = tmp_path / "pwned.txt"
    name = f"__import__('pathlib').Path('{target}').touch()"
    r = gmsim.simulate(model(aux(name, "3"), aux("double", f'2 * "{name}"')))
    assert r["double"][0] == 6
    assert not target.exists()


def test_billion_laughs_is_refused_quickly():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    text = (
        f'<?xml version="1.0"?><!DOCTYPE xmile [{entities}]>' + document(aux("x", "1")).split("?>", 1)[1]
    )
    text = text.replace("<eqn>1</eqn>", "<eqn>&lol9;</eqn>")
    began = time.perf_counter()
    with pytest.raises(ModelError, match="entity declarations are refused") as err:
        load_xmile_text(text, "laughs.xmile")
    assert time.perf_counter() - began < 5  # nothing was expanded
    assert "laughs.xmile" in str(err.value) and "lol" in str(err.value)


def test_an_external_entity_is_refused_and_nothing_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = document(aux("x", "1")).split("?>", 1)[1].replace("<eqn>1</eqn>", "<eqn>&xxe;</eqn>")
    text = f'<?xml version="1.0"?><!DOCTYPE xmile [<!ENTITY xxe SYSTEM "file://{secret}">]>{body}'
    with pytest.raises(ModelError) as err:
        load_xmile_text(text, "xxe.xmile")
    assert "refused" in str(err.value)
    assert "TOP-SECRET-CONTENT" not in str(err.value)


def test_an_external_dtd_is_refused(tmp_path):
    body = document(aux("x", "1")).split("?>", 1)[1]
    text = f'<?xml version="1.0"?><!DOCTYPE xmile SYSTEM "file://{tmp_path}/x.dtd">{body}'
    with pytest.raises(ModelError, match="refers to the external resource"):
        load_xmile_text(text, "dtd.xmile")


def test_a_module_in_another_file_is_not_loaded(tmp_path):
    other = tmp_path / "other.xmile"
    other.write_text(document(aux("x", "1")))
    text = document(f'<module name="other" resource="{other}"/>', aux("y", "2"))
    with pytest.raises(ModelError, match="reads nothing but this file"):
        load_xmile_text(text, "modules.xmile")


@pytest.mark.parametrize(
    ("equation", "message"),
    [
        ("SYSTEM(1)", "unknown function 'SYSTEM'"),
        ("SMTHH1(water, 2)", "unknown function 'SMTHH1' (did you mean 'SMTH1'?)"),
        ("watr * 2", "unknown name 'watr' (did you mean 'water'?)"),
        ("water +", "cannot read the equation"),
    ],
)
def test_unknown_functions_and_names_are_errors_never_zero(equation, message):
    with pytest.raises(ModelError) as err:
        model(stock("water", "10"), aux("level", equation))
    text = str(err.value)
    assert message in text
    assert "variable 'level'" in text and f"equation: '{equation}'" in text


def test_not_well_formed_xml_is_one_clear_error():
    with pytest.raises(ModelError, match=r"bad\.xmile:2: not well-formed XML"):
        load_xmile_text(
            "<xmile>\n<model><aux name='x'><eqn>1 < 2</eqn></aux></model></xmile>", "bad.xmile"
        )


def test_not_xmile_is_said_so():
    with pytest.raises(ModelError, match="not an XMILE file: the root element is <html>"):
        load_xmile_text("<html><body/></html>", "page.xmile")


def test_the_package_has_no_eval_exec_pickle_or_plain_xml_parsers():
    """A guard on the source: the import path is built without any way to run a file's text."""
    package = Path(gmsim.__file__).parent / "xmile"
    forbidden_calls = {"eval", "exec", "compile", "__import__"}
    forbidden_modules = {"pickle", "marshal", "shelve", "dill", "xml.etree", "xml.dom", "lxml"}
    sources = sorted(package.glob("*.py"))
    assert len(sources) >= 8
    for source in sources:
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden_calls, (
                    f"{source.name}:{node.lineno} calls {node.func.id}"
                )
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                )
                for name in names:
                    if source.name in ("writer.py", "views.py") and name.startswith("xml.etree"):
                        continue  # the writer and its views build XML; that they never parse is checked below
                    assert not any(name == m or name.startswith(m + ".") for m in forbidden_modules), (
                        f"{source.name}:{node.lineno} imports {name}"
                    )
            if source.name in ("writer.py", "views.py") and isinstance(node, ast.Attribute):
                assert node.attr not in {"parse", "fromstring", "XML", "iterparse", "XMLParser"}, (
                    f"{source.name}:{node.lineno} parses XML with ElementTree"
                )
