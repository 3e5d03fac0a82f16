"""The links scripts/myst_for_jupyterlab.py writes read, in the built book, as the book numbers their targets.

A notebook refers to another chapter's equation, theorem, exercise or figure with a plain link whose
text carries a number the script computed ("eq. (2.3) in chapter 2", "Theorem 5.1 in chapter 5",
"Fig. 4.2"). Here Sphinx is the independent judge: every such link in every built page must point at
an element that exists, and the number Sphinx printed on that element (the equation's "(2.3)", the
caption's "Theorem 5.1") must be the number in the link's text.
"""

import html
import re

import pytest

from .conftest import HTML_DIR

LINK = re.compile(r'<a class="reference internal" href="([^"#]*)#([^"]+)"[^>]*>(.*?)</a>', re.S)
WRITTEN = re.compile(r"^(?:eq\. \((?P<eq>[\d.]+)\) in chapter (?P<eqch>\d+)"
                     r"|(?P<kind>Fig\.|Theorem|Proposition|Lemma|Corollary|Definition|Exercise) (?P<num>[\d.]+)"
                     r"(?: in chapter (?P<ch>\d+))?)$")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _number_at(page: str, element_id: str) -> str | None:
    """The number Sphinx printed on the element with this id: an equation's "(2.3)" or a caption's "Fig. 4.2"."""
    at = page.find(f'id="{element_id}"')
    if at < 0:
        return None
    after = page[at:at + 4000]
    if element_id.startswith("equation-"):
        found = re.search(r'class="eqno">\(([\d.]+)\)', after)
        return found and found.group(1)
    found = re.search(r'class="caption-number">\s*([^<]*?)\s*</span>', after)
    if not found:                                # sphinx-proof and sphinx-exercise title their boxes so
        found = re.search(r'class="(?:caption-number|proof-title|admonition-title)"[^>]*>\s*(?:<span[^>]*>)?\s*'
                          r'([A-Z][a-z.]+ [\d.]+)', after)
    return found and found.group(1).strip()


def _written_links():
    for path in sorted((HTML_DIR / "notebooks").glob("0*.html")):
        page = path.read_text()
        for href, fragment, inner in LINK.findall(page):
            match = WRITTEN.match(_text(inner))
            if match:
                yield path, href, fragment, match


def test_the_book_is_built():
    assert (HTML_DIR / "notebooks").is_dir(), f"no built book at {HTML_DIR}: run `make book` first"


def test_every_written_link_carries_the_number_sphinx_gave_its_target():
    links = list(_written_links())
    if not links:
        pytest.skip("the built chapters hold no links written by scripts/myst_for_jupyterlab.py")
    cache = {}
    wrong = []
    for path, href, fragment, match in links:
        target = (path.parent / href).resolve() if href else path
        if target not in cache:
            cache[target] = target.read_text() if target.exists() else ""
        printed = _number_at(cache[target], fragment)
        if match["eq"]:
            expected, chapter = match["eq"], match["eqch"]
        else:
            expected, chapter = f"{match['kind']} {match['num']}", match["ch"]
        if printed != expected:
            wrong.append(f"{path.name}: link to {href}#{fragment} says {expected!r}, the book prints {printed!r}")
        if chapter and not expected.split()[-1].startswith(f"{chapter}."):
            wrong.append(f"{path.name}: {match.group(0)!r} names chapter {chapter} for a number of another chapter")
    assert not wrong, "\n".join(wrong)
    print(f"{len(links)} links checked")
