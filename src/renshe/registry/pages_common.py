"""Shared pieces of the registry pages: the caller, option lists for selects, filters from the
query string, and the file download answer."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from litestar import Request, Response

from renshe import clock
from renshe.errors import NotFound, ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry import service as registry
from renshe.registry.api import caller
from renshe.registry.forms import failed, parse_day, text
from renshe.registry.identifiers.model import DOCUMENT_TYPE_LABELS, RESIDENCY_LABELS, SEX_LABELS
from renshe.registry.model import EDUCATION_LABELS, LINK_ROLE_LABELS, EnterpriseFilter, PeopleFilter
from renshe.registry.service import Caller
from renshe.web.query_values import page_number

Req = Request[Any, Any, Any]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

__all__ = [
    "CONTENT_TYPES",
    "Caller",
    "Req",
    "caller",
    "choices",
    "download",
    "enterprise_filter",
    "people_filter",
    "positive_int",
]


def choices() -> dict[str, list[tuple[str, str]]]:
    """(value, label in the user's language) for every select of the registry forms."""
    return {
        "document_types": [(k.value, _(v)) for k, v in DOCUMENT_TYPE_LABELS.items()],
        "residencies": [(k.value, _(v)) for k, v in RESIDENCY_LABELS.items()],
        "sexes": [(k.value, _(v)) for k, v in SEX_LABELS.items()],
        "educations": [(k.value, _(v)) for k, v in EDUCATION_LABELS.items()],
        "link_roles": [(k.value, _(v)) for k, v in LINK_ROLE_LABELS.items()],
    }


def labels() -> dict[str, dict[str, str]]:
    return {name: dict(values) for name, values in choices().items()}


def positive_int(raw: str | None, default: int = 1) -> int:
    """A ``?page=`` number (400 when it is not one from 1 to ``MAX_PAGE``)."""
    return page_number(raw, default)


def _known(value: str | None, allowed: Any) -> str | None:
    return value if value in {k.value for k in allowed} else None


def people_filter(q: Any) -> tuple[PeopleFilter, dict[str, str]]:
    """The list filter from the query string, and the parameters to keep across pages."""
    f = PeopleFilter(
        residency=_known(q.get("residency"), RESIDENCY_LABELS),
        document_type=_known(q.get("document_type"), DOCUMENT_TYPE_LABELS),
        name_prefix=(q.get("name") or "").strip()[:100] or None,
        created_from=parse_day(q.get("from")),
        created_to=parse_day(q.get("to")),
    )
    keep = {
        "residency": f.residency or "",
        "document_type": f.document_type or "",
        "name": f.name_prefix or "",
        "from": _iso(f.created_from),
        "to": _iso(f.created_to),
        "sort": sort_of(q),
    }
    return f, {k: v for k, v in keep.items() if v}


def enterprise_filter(q: Any) -> tuple[EnterpriseFilter, dict[str, str]]:
    f = EnterpriseFilter(
        name_prefix=(q.get("name") or "").strip()[:200] or None,
        created_from=parse_day(q.get("from")),
        created_to=parse_day(q.get("to")),
    )
    keep = {
        "name": f.name_prefix or "",
        "from": _iso(f.created_from),
        "to": _iso(f.created_to),
        "sort": sort_of(q),
    }
    return f, {k: v for k, v in keep.items() if v}


def sort_of(q: Any) -> str:
    value = q.get("sort") or "newest"
    return value if value in ("newest", "oldest", "name") else "newest"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def download(content: bytes, file_format: str, stem: str) -> Response[bytes]:
    """A file answer; the name is ASCII (no personal data) with the date."""
    name = f"{stem}-{clock.today():%Y%m%d}.{file_format}"
    return Response(
        content=content,
        media_type=CONTENT_TYPES[file_format],
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def can(c: Caller) -> dict[str, bool]:
    return {"can_write": c.can_write(), "can_unmask": c.can_unmask()}


NO_PERSON_WITH_DOCUMENT = lazy("No person with this document is registered here.")


async def person_from_document_form(c: Caller, form: Any) -> tuple[Any, int, dict[str, str]]:
    """The person a "find by document" form names (``doc_type``, ``number``; posted, so the number
    never travels in a URL), or None with the status and the field errors to show. Not registered
    here and registered in another district give the same answer."""
    try:
        person = await registry.find_by_document(c, text(form, "doc_type"), text(form, "number"))
    except ValidationFailed as exc:
        return None, 422, failed(exc)
    except NotFound:
        return None, 404, {"number": _(NO_PERSON_WITH_DOCUMENT)}
    return person, 200, {}
