"""/deployments/{id}/history: the public revision history of a record, newest first."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from app.services.revisions import history, public_deployment
from app.web.deps import HtmxDep, SessionDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/deployments/{deployment_id:int}/history", name="deployment_history")
def history_page(
    request: Request, deployment_id: int, session: SessionDep, htmx: HtmxDep
) -> Response:
    deployment = public_deployment(session=session, deployment_id=deployment_id)
    if deployment is None:
        raise HTTPException(404, "There is no public record with this number.")
    assert deployment.id is not None
    context = {"d": deployment, "entries": history(session=session, deployment_id=deployment.id)}
    return render(request, "catalog/history.html", context, htmx=htmx)
