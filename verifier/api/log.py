"""The transparency log's face: C2SP tlog-tiles under ``/log/``, witnesses' cosignatures in, the log's policy out.

``/log/checkpoint`` (the newest checkpoint with its cosignatures so far), ``/log/tile/<L>/<N>[.p/<W>]``
and ``/log/tile/entries/<N>[.p/<W>]`` are public and static: a full tile never changes and is served
from memory with a year's cache. ``POST /log/cosignatures`` takes a witness's cosigned checkpoint. The
operator registers and withdraws witnesses under ``/api/v1/log/witnesses``; ``GET /api/v1/log`` says
what a verifier pins (the log's key, the witnesses, the quorum) and how the log is doing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import OperatorDep, ServicesDep
from verifier.api.issuer import CONFLICT, ERRORS, NOT_FOUND
from verifier.api.schemas import ErrorOut, LogOut, LogWitnessIn, LogWitnessOut
from verifier.errors import FieldRefused
from verifier.tlog.note import COSIGNATURE, MAX_NOTE_BYTES, NoteRefused, parse_vkey
from verifier.tlog.tiles import parse_tile_path

public = APIRouter(prefix="/log", tags=["log"])
router = APIRouter(prefix="/api/v1/log", tags=["log"])
TEXT = "text/plain; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=5"
TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such tile in the log (yet)"}
}
TEXT_BODY = {"requestBody": {"required": True, "content": {TEXT: {"schema": {"type": "string"}}}}}


@public.get("/checkpoint", response_class=Response, summary="The log's newest checkpoint (C2SP signed note)",
            responses={200: {"content": {TEXT: {}}}, **TILE_RESPONSES})  # fmt: skip
async def checkpoint(svc: ServicesDep) -> Response:
    """The newest checkpoint the log signed, with every witness's cosignature kept for it so far."""
    served = svc.ledger.served()  # renewed every second and whenever a checkpoint or a cosignature comes
    if served is None:
        served = (await run_in_threadpool(svc.ledger.checkpoint)).to_text().encode()
    return Response(served, media_type=TEXT, headers={"Cache-Control": "no-cache"})


@public.get("/tile/{path:path}", response_class=Response, summary="A tile of hashes or an entry bundle",
            responses={200: {"content": {"application/octet-stream": {}}}, **TILE_RESPONSES})  # fmt: skip
async def tile(svc: ServicesDep, path: Annotated[str, Path(max_length=80)]) -> Response:
    """``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]``, as C2SP tlog-tiles names them."""
    named = parse_tile_path(path)
    data = svc.ledger.cached_tile(named) or await run_in_threadpool(svc.ledger.tile, named)
    cache = IMMUTABLE if named.full else PARTIAL
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": cache})


@public.post("/cosignatures", summary="A witness's cosignature of a checkpoint",
             responses={**ERRORS, **CONFLICT, 403: {"model": ErrorOut, "description": "no witness in service"}},
             openapi_extra=TEXT_BODY)  # fmt: skip
async def cosignatures(svc: ServicesDep, request: Request) -> dict[str, list[str]]:
    """The checkpoint as the log signed it, with the witness's cosignature line(s) added (C2SP tlog-cosignature).

    Kept when the checkpoint is one this log signed and the line verifies with a witness in service;
    answers the witnesses whose cosignatures were kept (none again for one kept before).
    """
    data = await request.body()
    if len(data) > MAX_NOTE_BYTES:
        raise NoteRefused(f"a cosigned checkpoint is at most {MAX_NOTE_BYTES} bytes")
    kept = await run_in_threadpool(svc.ledger.accept, data, svc.clock())
    return {"kept": kept}


@router.get("", summary="The log's key, witnesses, quorum and state")
async def log_info(svc: ServicesDep) -> LogOut:
    """What a verifier pins (the log's origin and key, the witnesses and how many must cosign) and the log's state."""
    at = svc.clock()
    policy, health = await run_in_threadpool(lambda: (svc.ledger.policy(at), svc.ledger.health(at)))
    return LogOut(
        origin=policy.origin, key=policy.key.vkey(), witnesses=[w.vkey() for w in policy.witnesses],
        quorum=policy.quorum, size=health.checkpoint_size, witnessed_size=health.witnessed_size,
        sequenced=health.sequenced,
    )  # fmt: skip


@router.post("/witnesses", status_code=status.HTTP_201_CREATED, responses=ERRORS | CONFLICT,
             summary="Register a witness")  # fmt: skip
def add_witness(body: LogWitnessIn, principal: OperatorDep, svc: ServicesDep) -> LogWitnessOut:
    """A witness by its verifier key (``verifier witness init`` prints it); its cosignatures count from now on."""
    try:
        key = parse_vkey(body.vkey)
    except NoteRefused as exc:
        raise FieldRefused("vkey", str(exc)) from None
    if key.kind != COSIGNATURE:
        raise FieldRefused("vkey", "a witness's key is a cosignature key (type 0x04)")
    if body.party is not None:
        svc.registry.issuers.get(body.party)  # raises NotFound for no such party
    witness = svc.registry.witnesses.add(principal, key, body.party, svc.clock())
    svc.trust.refresh()
    svc.ledger.refresh(svc.clock())
    return LogWitnessOut(name=witness.name, vkey=key.vkey(), party=witness.party_id)


@router.delete("/witnesses/{name:path}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS | NOT_FOUND,
               summary="Withdraw a witness")  # fmt: skip
def withdraw_witness(name: Annotated[str, Path(max_length=255)], principal: OperatorDep, svc: ServicesDep) -> Response:
    """Its cosignatures no longer count (proofs and the trust list name only the witnesses in service)."""
    svc.registry.witnesses.withdraw(principal, name, svc.clock())
    svc.trust.refresh()
    svc.ledger.refresh(svc.clock())
    return Response(status_code=204)
