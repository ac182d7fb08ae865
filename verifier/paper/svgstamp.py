"""An SVG stamp rebuilt from an allow-listed model: what is stored and rendered is never the text uploaded.

A checker that reads the uploaded text and then passes it on is only as good as its reading of every
escape the renderer understands (to CSS, a backslash, ``75`` and a space, then ``rl(``, is ``url(``).
So the stamp is parsed (XML, then each style with the CSS tokenizer WeasyPrint itself uses, which
decodes escapes), every element, attribute, property and token is checked against an allow-list, and
a new document is written from what passed: drawing elements only, presentation attributes only, CSS
values made of numbers, names, colours and ``url(#id)`` references to elements of the stamp itself.
Nothing in the result can name a file, a
host or a script, and escapes do not survive the round trip.

What a stamp draws is bounded too: every element counts once (text, which Pango lays out, forty times;
masks twenty), and each reference (``<use>``, ``url(#id)``) counts what it draws again, so nesting (a
``<use>`` of ten ``<use>`` of ten ...) cannot
make a 2 KB file draw a billion shapes. References that loop are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from xml.etree import ElementTree

import tinycss2
import tinycss2.ast

from verifier.errors import FileRefused

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_ELEMENTS = 4000  # of an SVG stamp, as written
MAX_DRAWN = 3_000  # shapes drawn, each reference counting what it draws (~0.08 ms each to render)
# Text is laid out by Pango, element by element (one costs what ~40 shapes do); each use of a mask is a
# transparency group of its own (~20); a clipping path ~5, a gradient's stop ~2.
WEIGHTS = {f"{{{SVG_NS}}}{name}": 40 for name in ("text", "tspan", "textPath")} | {
    f"{{{SVG_NS}}}mask": 20,
    f"{{{SVG_NS}}}clipPath": 5,
    f"{{{SVG_NS}}}stop": 2,
}
_UNDRAWN = frozenset(
    f"{{{SVG_NS}}}{name}" for name in "defs symbol clipPath mask linearGradient radialGradient style".split()
)
MAX_DEPTH = 64  # elements within elements (what reads and draws them recurses)
MAX_CHAIN = 256  # elements within elements, each reference followed (a <use> of a <use> of ...)

# Drawing only: shapes, paths, groups, gradients, clipping, text set in the file, internal reuse.
ELEMENTS = frozenset(
    "svg g defs title desc path circle ellipse rect line polyline polygon text tspan textPath use symbol "
    "linearGradient radialGradient stop clipPath mask style".split()
)
# Attributes whose value is CSS (a presentation attribute): checked token by token.
CSS_ATTRIBUTES = frozenset(
    "fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin "
    "stroke-dasharray stroke-dashoffset stroke-miterlimit opacity color clip-path clip-rule mask "
    "font-family font-size font-weight font-style font-variant letter-spacing word-spacing text-anchor "
    "dominant-baseline alignment-baseline baseline-shift text-decoration visibility display stop-color "
    "stop-opacity paint-order vector-effect".split()
)
# Attributes of geometry and structure: numbers, lengths, names, transforms, path data.
PLAIN_ATTRIBUTES = frozenset(
    "x y width height cx cy r rx ry x1 y1 x2 y2 fx fy fr d points transform viewBox preserveAspectRatio "
    "gradientUnits gradientTransform spreadMethod offset clipPathUnits maskUnits maskContentUnits dx dy "
    "rotate textLength lengthAdjust startOffset pathLength version id class".split()
)
PROPERTIES = CSS_ATTRIBUTES | {"transform"}
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9 \t\r\n.,+\-%()#_:]*")
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_UNITS = frozenset("px pt pc mm cm in em ex rem % deg rad grad turn".split())
_COLOUR_FUNCTIONS = frozenset("rgb rgba hsl hsla".split())
_TRANSFORM_FUNCTIONS = frozenset("matrix translate scale rotate skewx skewy".split())
_SELECTOR_LITERALS = frozenset(".,>*+~")
MAX_VALUE = 16 * 1024  # characters of one attribute (path data included), or of a <style>
MAX_BRACKETS = 16  # brackets within brackets in a style


def rebuilt_svg(text: str) -> bytes:
    """The stamp ``text`` rebuilt from what the allow-list keeps; raises :class:`FileRefused` saying why not."""
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise _unsafe("the SVG stamp has a DTD (<!DOCTYPE or <!ENTITY); remove it")
    if "<?xml-stylesheet" in lowered:
        raise _unsafe("the SVG stamp links a style sheet; put its styles inline")
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - no DTD (refused above), so no entity to expand
    except ElementTree.ParseError as error:
        raise FileRefused("unreadable_image", f"the SVG stamp is not well-formed XML ({error})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise FileRefused("unreadable_image", "an SVG stamp's root must be an <svg> element in the SVG namespace")
    if "viewBox" not in root.attrib and not ("width" in root.attrib and "height" in root.attrib):
        raise FileRefused("unreadable_image", "the SVG stamp needs a viewBox (or a width and a height)")
    elements = list(_walk(root))
    ids = {element.get("id"): element for element in elements if element.get("id")}
    model = _Model(ids)
    rebuilt = model.element(root)
    model.bound(root)
    ElementTree.register_namespace("", SVG_NS)
    ElementTree.register_namespace("xlink", XLINK_NS)
    written: bytes = ElementTree.tostring(rebuilt, encoding="utf-8", xml_declaration=False)
    return written


def _walk(root: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Every element, refusing more than :data:`MAX_ELEMENTS` or nesting deeper than :data:`MAX_DEPTH`."""
    count = 0
    pending = [(root, 1)]
    while pending:
        element, depth = pending.pop()
        count += 1
        if count > MAX_ELEMENTS:
            raise _unsafe(f"the SVG stamp has more than {MAX_ELEMENTS} elements")
        if depth > MAX_DEPTH:
            raise _unsafe(f"the SVG stamp nests elements more than {MAX_DEPTH} deep")
        yield element
        pending.extend((child, depth + 1) for child in reversed(element))


def _unsafe(message: str) -> FileRefused:
    return FileRefused("unsafe_svg", message)


def _refuse_deep(text: str, where: str) -> None:
    """Refuse CSS whose brackets nest deeper than :data:`MAX_BRACKETS` (the tokenizer recurses into each)."""
    depth = 0
    for character in text:
        if character in "([{":
            depth += 1
            if depth > MAX_BRACKETS:
                raise _unsafe(f"the SVG stamp's {where} nests brackets more than {MAX_BRACKETS} deep")
        elif character in ")]}" and depth:
            depth -= 1


def _split(tag: str) -> tuple[str, str]:
    return (tag[1:].partition("}")[0], tag.partition("}")[2]) if tag.startswith("{") else ("", tag)


class _Model:
    """The allow-listed copy of one stamp, and the references its elements make (for the bound)."""

    def __init__(self, ids: dict[str | None, ElementTree.Element]) -> None:
        self.ids = ids
        self.references: dict[int, list[str]] = {}  # id(element) → ids it draws again
        self.everywhere: list[str] = []  # ids a style sheet rule may make any element draw

    def element(self, source: ElementTree.Element) -> ElementTree.Element:
        namespace, name = _split(source.tag)
        if namespace != SVG_NS or name not in ELEMENTS:
            shown = name if namespace == SVG_NS else source.tag
            raise _unsafe(f"the SVG stamp may only draw; <{shown}> is not allowed")
        copy = ElementTree.Element(source.tag)
        refs: list[str] = []
        for attribute, value in source.attrib.items():
            key, kept = self.attribute(name, attribute, value, refs)
            copy.set(key, kept)
        if name == "style":
            copy.text = self.stylesheet(source.text or "")
            if len(source):
                raise _unsafe("the SVG stamp's <style> holds elements")
        elif name in ("text", "tspan", "textPath", "title", "desc"):
            copy.text = source.text
        for child in source:
            kept_child = self.element(child)
            if name in ("text", "tspan", "textPath"):
                kept_child.tail = child.tail
            copy.append(kept_child)
        self.references[id(source)] = refs
        return copy

    def attribute(self, element: str, attribute: str, value: str, refs: list[str]) -> tuple[str, str]:
        namespace, name = _split(attribute)
        if len(value) > MAX_VALUE:
            raise _unsafe(f"the SVG stamp's {name} is longer than {MAX_VALUE} characters")
        if name == "href" and namespace in ("", XLINK_NS):
            target = value.strip()
            if not target.startswith("#") or target[1:] not in self.ids:
                raise _unsafe("the SVG stamp refers to something outside itself (href)")
            refs.append(target[1:])
            return attribute, target
        if namespace == XML_NS and name == "space":
            if value not in ("default", "preserve"):
                raise _unsafe("the SVG stamp's xml:space is neither default nor preserve")
            return attribute, value
        if namespace:
            raise _unsafe(f"the SVG stamp has an attribute from another vocabulary ({attribute})")
        if name.lower().startswith("on"):
            raise _unsafe(f"the SVG stamp has an event attribute ({name}); scripts are refused")
        if name == "style" or name in CSS_ATTRIBUTES:
            _refuse_deep(value, name)
        if name == "style":
            return name, self.declarations(value, refs)
        if name in CSS_ATTRIBUTES:
            return name, self.css_value(name, tinycss2.parse_component_value_list(value), refs)
        if name in PLAIN_ATTRIBUTES:
            if name == "id" and not _ID.fullmatch(value):
                raise _unsafe("the SVG stamp has an id that is not a plain name")
            if not _PLAIN_VALUE.fullmatch(value) or "url" in value.lower():
                raise _unsafe(f"the SVG stamp's {name} holds more than numbers and names")
            return name, value
        if element == "svg" and name in ("baseProfile", "zoomAndPan"):
            return name, value
        raise _unsafe(f"the SVG stamp's attribute {name} is not one a drawing needs")

    def stylesheet(self, text: str) -> str:
        """A ``<style>`` element's rules rewritten: plain selectors, allow-listed declarations."""
        if len(text) > MAX_VALUE:
            raise _unsafe(f"the SVG stamp's <style> is longer than {MAX_VALUE} characters")
        _refuse_deep(text, "<style>")
        rules = []
        for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
            if not isinstance(rule, tinycss2.ast.QualifiedRule):
                raise _unsafe("the SVG stamp's <style> may hold plain rules only (no @import, @font-face, ...)")
            for token in rule.prelude:
                if not (
                    isinstance(token, tinycss2.ast.IdentToken | tinycss2.ast.WhitespaceToken | tinycss2.ast.HashToken)
                    or (isinstance(token, tinycss2.ast.LiteralToken) and token.value in _SELECTOR_LITERALS)
                ):
                    raise _unsafe("the SVG stamp's <style> has a selector other than names, classes and ids")
            refs: list[str] = []
            body = self.declarations(tinycss2.serialize(rule.content), refs)
            self.everywhere.extend(refs)
            rules.append(f"{tinycss2.serialize(rule.prelude).strip()} {{{body}}}")
        return "\n".join(rules)

    def declarations(self, text: str, refs: list[str]) -> str:
        kept = []
        for item in tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True):
            if not isinstance(item, tinycss2.ast.Declaration):
                raise _unsafe("the SVG stamp's style holds something other than declarations")
            if item.lower_name not in PROPERTIES:
                raise _unsafe(f"the SVG stamp's style sets {item.lower_name[:40]}, which a drawing does not need")
            value = self.css_value(item.lower_name, item.value, refs)
            kept.append(f"{item.lower_name}: {value}{' !important' if item.important else ''}")
        return "; ".join(kept)

    def css_value(self, name: str, tokens: Iterable[tinycss2.ast.Node], refs: list[str]) -> str:
        """A CSS value kept when every token is a number, a name, a colour or a local reference."""
        tokens = list(tokens)
        for token in tokens:
            self.token(name, token, refs, 0)
        written: str = tinycss2.serialize(tokens)
        return written.strip()

    def token(self, name: str, token: tinycss2.ast.Node, refs: list[str], depth: int) -> None:
        refused = _unsafe(f"the SVG stamp's {name} holds something other than numbers, names and colours")
        if isinstance(token, tinycss2.ast.WhitespaceToken | tinycss2.ast.NumberToken | tinycss2.ast.PercentageToken):
            return
        if isinstance(token, tinycss2.ast.IdentToken | tinycss2.ast.HashToken):
            return
        if isinstance(token, tinycss2.ast.DimensionToken):
            if token.lower_unit not in _UNITS:
                raise refused
            return
        if isinstance(token, tinycss2.ast.LiteralToken):
            if token.value not in (",", "/"):
                raise refused
            return
        if isinstance(token, tinycss2.ast.StringToken):
            if name != "font-family" or len(token.value) > 100:
                raise refused
            return
        if isinstance(token, tinycss2.ast.URLToken):
            self.local(token.value, refs)
            return
        if isinstance(token, tinycss2.ast.FunctionBlock) and depth == 0:
            if token.lower_name == "url":
                strings = [t for t in token.arguments if not isinstance(t, tinycss2.ast.WhitespaceToken)]
                if len(strings) != 1 or not isinstance(strings[0], tinycss2.ast.StringToken):
                    raise refused
                self.local(strings[0].value, refs)
                return
            allowed = _TRANSFORM_FUNCTIONS if name == "transform" else _COLOUR_FUNCTIONS
            if token.lower_name in allowed:
                for argument in token.arguments:
                    self.token(name, argument, refs, depth + 1)
                return
        raise refused

    def local(self, target: str, refs: list[str]) -> None:
        if not target.startswith("#") or target[1:] not in self.ids:
            raise _unsafe("the SVG stamp refers to something outside itself (url)")
        refs.append(target[1:])

    def bound(self, root: ElementTree.Element) -> None:
        """Refuse a stamp that draws more than :data:`MAX_DRAWN` shapes, references counted, or loops."""
        costs: dict[int, int] = {}
        visiting: set[int] = set()
        extra = len(self.everywhere)
        everywhere = self.everywhere

        def cost(element: ElementTree.Element, depth: int) -> int:
            key = id(element)
            if key in costs:
                return costs[key]
            if key in visiting:
                raise _unsafe("the SVG stamp's references loop (an element draws itself)")
            if depth > MAX_CHAIN:
                raise _unsafe(f"the SVG stamp's references reach more than {MAX_CHAIN} deep")
            visiting.add(key)
            total = WEIGHTS.get(element.tag, 1)
            for child in element:  # what only draws when referenced counts there, not here
                total += 1 if child.tag in _UNDRAWN else cost(child, depth + 1)
            for target in self.references.get(key, ()):
                total += cost(self.ids[target], depth + 1)
            if extra:
                for target in everywhere:
                    if self.ids[target] is not element:
                        total += cost(self.ids[target], depth + 1)
            visiting.discard(key)
            costs[key] = total = min(total, MAX_DRAWN + 1)
            if total > MAX_DRAWN:
                raise _unsafe(f"the SVG stamp draws more than {MAX_DRAWN} shapes once its references are counted")
            return total

        cost(root, 1)
