"""An issuer's Atom feed (RFC 4287): its certificates' suspensions, reinstatements and revocations, newest first.

What a buyer's or an importer's system reads to learn of a change without a webhook of its own. Each entry
names the certificate's number, what happened and why (the reason code), when, and links to the
certificate's own page, where its status now is checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"


def atom(issuer_id: str, issuer_name: str, public_url: str, entries: list[dict[str, Any]], at: datetime) -> bytes:
    """The feed's XML: one entry per status change (as :meth:`verifier.store.watches.Watches.feed` lists them)."""
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    url = f"{public_url}/issuers/{issuer_id}/feed.atom"

    def add(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> None:
        child = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            child.text = text

    add(feed, "id", url)
    add(feed, "title", f"{issuer_name}: certificates suspended, reinstated or revoked")
    add(feed, "updated", _iso(entries[0]["at"] if entries else at))
    add(feed, "link", rel="self", href=url, type=MEDIA_TYPE)
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    add(author, "name", issuer_name)
    for entry in entries:
        item = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        page = f"{public_url}/c/{entry['link']}"
        add(item, "id", f"{url}#event-{entry['seq']}")
        add(item, "title", f"{entry['number']} {entry['event']}")
        add(item, "updated", _iso(entry["at"]))
        add(item, "link", rel="alternate", href=page, type="text/html")
        add(item, "category", term=entry["event"])
        add(item, "summary", f"Certificate {entry['number']} was {entry['event']} ({entry['reason']}). "
                             "Its page says whether it is in force now.")  # fmt: skip
    written: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return written


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
