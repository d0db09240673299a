"""Pieces of a self-contained HTML page: escaped text, tables, embedded figures, the page.

Every function here escapes the plain text it is given; only :class:`Html`
values (what these functions return) pass through as markup. So text from a
model, scenario or spec file can never become markup or script. Figures are
embedded as base64 PNG ``data:`` URIs, and the page's content security policy
forbids scripts and any request outside the file: it opens with no network.

Examples
--------
>>> print(tag("p", "weights < 1 & ", tag("b", "judgements")))
<p>weights &lt; 1 &amp; <b>judgements</b></p>
>>> print(table(["factor", "level"], [["funding", "0.30"]], numeric=[1]))
<div class="table-wrap"><table><thead><tr><th>factor</th><th class="num">level</th></tr></thead><tbody><tr><td>funding</td><td class="num">0.30</td></tr></tbody></table></div>
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["CSS", "Html", "details", "esc", "figure", "page", "table", "tag"]

VOID = frozenset({"img", "meta", "br", "hr"})


class Html(str):
    """Text that is markup already: built by this module, or escaped."""


def esc(content: object) -> Html:
    """``content`` as markup: :class:`Html` as it is, a list joined, anything else escaped.

    Examples
    --------
    >>> esc('"R1" <loop>')
    '&quot;R1&quot; &lt;loop&gt;'
    """
    if isinstance(content, Html):
        return content
    if isinstance(content, list | tuple):
        return Html("".join(esc(c) for c in content))
    return Html(html.escape(str(content), quote=True))


def tag(name: str, /, *children: object, **attrs: object) -> Html:
    """An element: ``tag("td", "0.3", class_="num")`` is ``<td class="num">0.3</td>``.

    Attribute names drop a trailing ``_`` and turn ``_`` into ``-``; ``None`` or
    ``False`` leaves an attribute out, ``True`` writes it bare.
    """
    parts = [name]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        parts.append(key if value is True else f'{key}="{html.escape(str(value), quote=True)}"')
    opening = "<" + " ".join(parts) + ">"
    if name in VOID:
        return Html(opening)
    return Html(f"{opening}{esc(list(children))}</{name}>")


def table(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    caption: object = None,
    class_: str | None = None,
) -> Html:
    """A table in a wrapper that scrolls sideways on narrow screens; ``numeric`` columns align right.

    A row given as :class:`Html` (a ``<tr>`` built with :func:`tag`, such as a
    heading row across the table) is placed as it is.
    """
    right = set(numeric)

    def cells(row: Sequence[object], kind: str) -> Html:
        return esc([tag(kind, c, class_="num" if i in right else None) for i, c in enumerate(row)])

    body = [row if isinstance(row, Html) else tag("tr", cells(row, "td")) for row in rows]
    return tag(
        "div",
        tag(
            "table",
            tag("caption", caption) if caption is not None else "",
            tag("thead", tag("tr", cells(header, "th"))),
            tag("tbody", body),
            class_=class_,
        ),
        class_="table-wrap",
    )


def figure(fig: Figure, *, alt: str, caption: object = None, dpi: int = 130) -> Html:
    """``fig`` as an embedded PNG with its alt text and caption, shown at its size in inches.

    The figure is drawn with a tight bounding box, then closed.
    """
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    finally:
        plt.close(fig)
    data = buffer.getvalue()
    width = int.from_bytes(data[16:20], "big")  # the PNG header's IHDR width, in pixels
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    img = tag("img", src=src, alt=alt, width=round(width * 96 / dpi))
    return tag("figure", img, tag("figcaption", caption) if caption is not None else "")


def details(summary: object, *content: object, open_: bool = False) -> Html:
    """A section the reader opens: ``summary`` always shown, ``content`` on a click."""
    return tag("details", tag("summary", summary), *content, open=open_)


CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #dfe3e8; --accent: #1f5fa8;
        --up: #17663a; --down: #b42318; --paper: #ffffff; --back: #f3f4f6; }
* { box-sizing: border-box; }
html { background: var(--back); }
body { margin: 0; color: var(--ink); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto,
       "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 2.2rem 2.5rem 3rem; background: var(--paper);
       box-shadow: 0 0 0 1px var(--line); }
header.title { border-bottom: 3px solid var(--accent); margin-bottom: 1.5rem; padding-bottom: .8rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 .4rem; }
h2 { font-size: 1.45rem; margin: 2.6rem 0 .7rem; padding-top: .4rem; border-top: 1px solid var(--line); }
h3 { font-size: 1.15rem; margin: 1.8rem 0 .5rem; }
p, li { max-width: 52rem; }
.subtitle { color: var(--muted); margin: 0; }
nav.contents { background: #f7f9fb; border: 1px solid var(--line); border-radius: 6px;
               padding: .6rem 1.2rem; margin: 1.2rem 0; }
nav.contents ul { margin: .3rem 0; padding-left: 0; list-style: none; columns: 2; }
a { color: var(--accent); }
.note { background: #fff8e6; border-left: 4px solid #e0a800; padding: .7rem 1rem; margin: 1rem 0;
        max-width: 52rem; }
.key { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .6rem;
       margin: 1rem 0; }
.key div { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem; }
.key b { display: block; font-size: 1.35rem; }
.table-wrap { overflow-x: auto; margin: .8rem 0 1.2rem; }
table { border-collapse: collapse; width: 100%; min-width: 36rem; font-size: .92rem; }
table.wide { min-width: 60rem; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .3rem; }
th, td { padding: .38rem .6rem; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
thead th { background: #eef2f6; border-bottom: 2px solid #c9d1da; }
tbody tr:nth-child(even) { background: #fafbfc; }
tr.group th { background: #f2f5f8; font-weight: 600; color: #2f3a48; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code { display: block; color: var(--muted); font-size: .8rem; background: none; padding: 0; }
code { font-size: .88em; background: #f1f3f5; padding: 0 .25em; border-radius: 3px; }
.up { color: var(--up); font-weight: 600; }
.down { color: var(--down); font-weight: 600; }
.small { font-size: .88rem; color: var(--muted); }
.nowrap { white-space: nowrap; }
figure { margin: 1.4rem 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .4rem; max-width: 52rem; }
details { margin: .8rem 0; }
summary { cursor: pointer; color: var(--accent); }
ul.sentences li { margin-bottom: .45rem; }
footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--line); font-size: .88rem;
         color: var(--muted); }
@media (max-width: 700px) { main { padding: 1.2rem 1rem; } nav.contents ul { columns: 1; } }
@media print { html { background: none; } main { box-shadow: none; max-width: none; padding: 0; }
               figure, table { break-inside: avoid; } h2 { break-after: avoid; } }
"""
"""The page's style: readable widths and fonts, tables that scroll rather than overflow."""

POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Content security policy: no script, no request outside the file."""


def page(title: str, *body: object, lang: str = "en") -> str:
    """A whole HTML document: ``title``, the inline style sheet, and ``body`` inside ``<main>``."""
    head = [
        tag("meta", charset="utf-8"),
        tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
        tag("meta", http_equiv="Content-Security-Policy", content=POLICY),
        tag("title", title),
        tag("style", Html(CSS)),
    ]
    return (
        "<!DOCTYPE html>\n"
        + tag("html", tag("head", head), tag("body", tag("main", *body)), lang=lang)
        + "\n"
    )
