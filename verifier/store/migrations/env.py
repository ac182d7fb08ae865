"""Alembic environment: migrations run on the connection :func:`verifier.store.database.migrate` passes."""

from __future__ import annotations

from alembic import context

from verifier.store import tables  # noqa: F401 (every table described on the metadata)
from verifier.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
