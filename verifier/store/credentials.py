"""Each certificate's credential as signed once (at issuance, or on its first read), and read back as stored.

A credential is a statement made at a point in time: its bytes never change with a key rotation, and
every replica answers the very same bytes (so the same ETag).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from verifier.store.database import write_transaction
from verifier.store.records import NotFound
from verifier.store.tables import certificate_credentials, certificates


@dataclass(frozen=True)
class StoredCredential:
    """A certificate's credential as stored (``jwt`` None: not signed yet), with what signing one needs."""

    certificate_seq: int
    issuer_id: str
    kid: bytes
    jwt: str | None


def insert_credentials(conn: Connection, signed: Sequence[tuple[int, str]], at: datetime) -> None:
    """Store the credentials (certificate seq, JWT) signed at issuance, in the issuance's transaction."""
    if signed:
        conn.execute(insert(certificate_credentials),
                     [{"certificate_seq": seq, "jwt": jwt, "signed_at": at} for seq, jwt in signed])  # fmt: skip


class Credentials:
    """The stored credentials on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def stored(self, certificate_id: str) -> StoredCredential:
        """Any issuer's certificate's credential by the certificate's id, in one query; raises :class:`NotFound`."""
        query = (
            select(certificates.c.seq, certificates.c.issuer_id, certificates.c.kid, certificate_credentials.c.jwt)
            .select_from(certificates.outerjoin(
                certificate_credentials, certificate_credentials.c.certificate_seq == certificates.c.seq))
            .where(certificates.c.id == certificate_id)
        )  # fmt: skip
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound("no such certificate")
        return StoredCredential(int(row.seq), str(row.issuer_id), bytes(row.kid), row.jwt)

    def keep(self, certificate_seq: int, jwt: str, at: datetime) -> str:
        """Store a credential signed on its first read; the one stored first when another replica was quicker."""
        try:
            with write_transaction(self.engine) as conn:
                insert_credentials(conn, [(certificate_seq, jwt)], at)
            return jwt
        except IntegrityError:
            with self.engine.connect() as conn:
                return str(conn.execute(select(certificate_credentials.c.jwt).where(
                    certificate_credentials.c.certificate_seq == certificate_seq)).scalar_one())  # fmt: skip
