"""What a certificate's paper prints of its issuer.

Beside the names the trust list carries: the address, contact, accreditation number, authorised
signatory and stamp that the operator sets.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from verifier.paper.stamps import Stamp
from verifier.verdict import IssuerInfo


@dataclass(frozen=True)
class Letterhead:
    """An issuer as its certificates' paper shows it; empty strings for what the operator has not set."""

    id: str
    name: str
    name_en: str
    address: str = ""
    address_en: str = ""
    contact: str = ""
    accreditation: str = ""
    signatory: str = ""
    signatory_title: str = ""
    signatory_title_en: str = ""
    stamp: Stamp | None = None

    @classmethod
    def of(cls, info: IssuerInfo) -> Letterhead:
        """Only the names, as the trust list has them."""
        return cls(info.id, info.name, info.name_en)

    @property
    def info(self) -> IssuerInfo:
        """The names, as the trust list carries them."""
        return IssuerInfo(self.id, self.name, self.name_en)


# The fields the operator sets (the names and the stamp apart), as the database columns name them.
DETAILS = tuple(f.name for f in fields(Letterhead) if f.name not in ("id", "name", "name_en", "stamp"))
