"""Watches: anyone told of a certificate's suspension, reinstatement, revocation or a recognition's lapse.

:mod:`.delivery` sends one webhook safely (no private address, bounded time, bytes and redirects),
:mod:`.dispatch` reads events into deliveries and sends them signed with back-off, :mod:`.feed` writes an
issuer's Atom feed.
"""
