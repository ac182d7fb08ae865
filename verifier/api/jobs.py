"""Batch issuance as jobs: queue a batch, follow its progress, read its certificates; an issuer sees only its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from verifier.api.deps import IssuerDep, ServicesDep
from verifier.api.issuer import BATCH_EXAMPLES, CONFLICT, ERRORS, NOT_FOUND, QUEUED, job_out, queue
from verifier.api.schemas import BatchIn, JobOut, JobsOut

router = APIRouter(prefix="/api/v1/jobs", tags=["issuer"])


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS | CONFLICT | QUEUED, summary="Issue up to 1,000 as a job"
)
def create_job(
    body: Annotated[BatchIn, Body(openapi_examples=BATCH_EXAMPLES)],
    principal: IssuerDep,
    svc: ServicesDep,
    response: Response,
) -> JobOut:
    """Queue a batch: answered at once with the job; every certificate is issued, or none (as for a batch)."""
    return queue(svc, principal, body, response)


@router.get("", responses=ERRORS, summary="Your latest jobs")
def list_jobs(principal: IssuerDep, svc: ServicesDep) -> JobsOut:
    """Your 50 latest jobs, newest first, without their certificates."""
    assert principal.issuer_id is not None
    jobs = svc.registry.jobs.recent(principal.issuer_id)
    return JobsOut(jobs=[job_out(svc, job, with_certificates=False) for job in jobs])


@router.get("/{job_id}", responses=ERRORS | NOT_FOUND, summary="One of your jobs")
def get_job(job_id: str, principal: IssuerDep, svc: ServicesDep) -> JobOut:
    """State and progress (``done`` of ``total``); a failed job's failures, a succeeded one's certificates."""
    assert principal.issuer_id is not None
    return job_out(svc, svc.registry.jobs.get(principal.issuer_id, job_id))


@router.post("/{job_id}/cancel", responses=ERRORS | NOT_FOUND | CONFLICT, summary="Cancel one of your jobs")
def cancel_job(job_id: str, principal: IssuerDep, svc: ServicesDep) -> JobOut:
    """A queued job ends at once; a running one after the certificate being rendered. Nothing is issued."""
    return job_out(svc, svc.registry.jobs.cancel(principal, job_id, svc.clock()), with_certificates=False)
