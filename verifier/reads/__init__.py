"""Public reads from memory: what the whole internet asks for, answered without a database round trip.

The signed status lists (:mod:`~verifier.reads.lists`, kept current by one task per replica), the
registry's word on seals scanned before (:mod:`~verifier.reads.seals`, checked against the lists'
versions) and the credentials as stored (:mod:`~verifier.reads.credentials`, bounded).
"""
