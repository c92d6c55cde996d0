"""The public certificate check under /chung-nhan: anyone with a certificate's code sees the
holder's name, the course and the date, and can download the PDF.

Errors become a simple page (`LearnerRoute`), as on the trainee's phone pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from danvan.kernel.errors import NotFound
from danvan.training import reports as reports
from danvan.training.models import Certificate
from danvan.training.routes.kit import LearnerRoute, choose_locale, tz
from danvan.web.deps import SessionDep, SettingsDep
from danvan.web.pages import redirect, remember_session
from danvan.web.templating import render

router = APIRouter(
    route_class=LearnerRoute,
    include_in_schema=False,
    dependencies=[Depends(remember_session), Depends(choose_locale)],
)


@router.get("/chung-nhan")
def certificate_lookup(request: Request, session: SessionDep, ma: str = "") -> Response:
    if ma.strip():
        try:
            found = reports.certificate_by_code(session, ma[:40])
        except NotFound:
            return render(
                request,
                "public/certificate.html",
                {"certificate": None, "code": ma[:40]},
                status_code=404,
            )
        return redirect(f"/chung-nhan/{found.code}")
    return render(request, "public/certificate.html", {"certificate": None, "code": ""})


@router.get("/chung-nhan/{code}")
def certificate_page(request: Request, session: SessionDep, code: str) -> Response:
    """Confirms a certificate: the holder's name, the course and the date; nothing else."""
    try:
        certificate: Certificate | None = reports.certificate_by_code(session, code[:40])
    except NotFound:
        certificate = None
    return render(
        request,
        "public/certificate.html",
        {"certificate": certificate, "code": code[:40]},
        status_code=200 if certificate else 404,
    )


@router.get("/chung-nhan/{code}/pdf")
def certificate_pdf(
    request: Request, session: SessionDep, settings: SettingsDep, code: str
) -> Response:
    certificate = reports.certificate_by_code(session, code[:40])
    data = reports.certificate_pdf(
        certificate,
        verify_url=f"{settings.base_url.rstrip('/')}/chung-nhan/{certificate.code}",
        timezone=tz(settings),
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="chung-nhan-{certificate.code}.pdf"'},
    )
