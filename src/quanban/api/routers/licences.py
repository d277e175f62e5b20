"""The licence library over JSON: public verification, the holder's wallet and share links, and
the issuing department's status changes (suspend, reinstate, revoke, renew).

Verification needs no login and shows the holder masked. Issuing is not an endpoint: the case
runtime issues a licence when a decided case's result goes out (``licence_issue``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status

from quanban.accounts.models import User
from quanban.api.preconditions import IfMatch, VersionIn, expected_version
from quanban.api.types import NO_NUL, PathId
from quanban.core.errors import PermissionDenied
from quanban.licences import selectors, services
from quanban.licences.identifiers import MAX_LENGTH
from quanban.licences.models import Licence

router = Router()

IdentifierPath = Annotated[
    str,
    Path(
        ...,
        min_length=1,
        max_length=MAX_LENGTH,
        pattern=r"^[0-9A-Za-z.]+$",
        description="The licence identifier, 1.2.156.3005.2.<type>.<issuer>.<serial>.<ver>.<check>",
    ),
]


class FieldOut(Schema):
    label: str
    value: str


class PartOut(Schema):
    licence_type: str
    issuer: str
    listed: str = Field(..., description="The identifier the comprehensive licence lists.")
    identifier: str = Field(..., description="The version in force now (renewed: the newest).")
    result: str
    label: str


class VerificationOut(Schema):
    result: str = Field(
        ...,
        description="valid, suspended, revoked, superseded, expired, unknown, tampered, or "
        "partial (a comprehensive licence with a permit no longer in force).",
    )
    label: str
    identifier: str
    detail: str = Field("", description="Why unknown or tampered (a stable code).")
    licence_type: str | None = None
    issuer: str | None = None
    holder_name: str | None = Field(None, description="Masked for a person.")
    holder_code: str | None = Field(None, description="Masked for a person.")
    valid_from: dt.date | None = None
    valid_until: dt.date | None = Field(None, description="Null: permanent.")
    issued_at: dt.datetime | None = None
    status_reason: str = ""
    fields: list[FieldOut] = Field(default_factory=list, description="The public fields.")
    superseded_by: str | None = Field(None, description="Superseded: the version in force now.")
    parts: list[PartOut] = Field(
        default_factory=list,
        description="A comprehensive licence (一业一证): each permit it lists, verified.",
    )

    @staticmethod
    def of(verification: selectors.Verification) -> VerificationOut:
        view = selectors.public_view(verification)
        view["fields"] = [FieldOut(label=k, value=v) for k, v in view.get("fields", [])]
        view["parts"] = [PartOut(**part) for part in view.get("parts", [])]
        return VerificationOut(**view)


class LicenceOut(Schema):
    id: int
    identifier: str
    licence_type: str
    issuer: str
    version: int = Field(..., description="The licence's version in its identifier (001…).")
    row_version: int = Field(..., description="For If-Match / `version` of status changes.")
    holder_name: str
    holder_code: str
    status: str
    status_reason: str
    valid_from: dt.date
    valid_until: dt.date | None
    issued_at: dt.datetime
    data: dict[str, Any]
    seal_algorithm: str
    seal_key_id: str
    digest: str

    @staticmethod
    def of(licence: Licence, *, masked: bool = False) -> LicenceOut:
        return LicenceOut(
            id=licence.pk,
            identifier=licence.identifier,
            licence_type=licence.licence_type.name,
            issuer=licence.issuer.name,
            version=licence.version,
            row_version=licence.row_version,
            holder_name=selectors.holder_name_masked(licence) if masked else licence.holder_name,
            holder_code=selectors.holder_code_masked(licence) if masked else licence.holder_code,
            status=licence.status,
            status_reason=licence.status_reason,
            valid_from=licence.valid_from,
            valid_until=licence.valid_until,
            issued_at=licence.issued_at,
            data=licence.data,
            seal_algorithm=licence.seal_algorithm,
            seal_key_id=licence.seal_key_id,
            digest=licence.digest,
        )


class ReasonIn(VersionIn):
    reason: str = Field(..., min_length=1, max_length=1000, pattern=NO_NUL)


class RenewIn(ReasonIn):
    changes: dict[Annotated[str, Field(max_length=100, pattern=NO_NUL)], Any] = Field(
        default_factory=dict,
        max_length=50,
        description="Fields to change (变更); left out: a renewal with the same fields.",
    )


class ShareIn(Schema):
    hours: int | None = Field(
        None,
        ge=1,
        le=services.MAX_SHARE_HOURS,
        description="How long the link works, in hours; left out: QUANBAN_LICENCE_SHARE_HOURS.",
    )


class ShareOut(Schema):
    url: str
    expires_at: dt.datetime


@router.get(
    "/licences/verify/{identifier}",
    response=VerificationOut,
    auth=None,
    summary="Verify a licence / 电子证照核验",
    description="Public: no login. The holder is masked; a tampered licence shows nothing of it.",
)
def licence_verify(request: HttpRequest, identifier: IdentifierPath) -> VerificationOut:
    return VerificationOut.of(selectors.licence_verify(identifier))


def _holder(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if user.kind != User.Kind.CITIZEN:
        raise PermissionDenied(_("“我的证照”仅供持证人账号使用。"), code="holder_account_required")
    return user


@router.get("/my/licences", response=list[LicenceOut], summary="My licences / 我的证照")
def my_licences(request: HttpRequest) -> list[LicenceOut]:
    user = _holder(request)
    return [LicenceOut.of(licence) for licence in selectors.licence_list_for_holder(user=user)]


@router.post(
    "/my/licences/{licence_id}/share",
    response={201: ShareOut},
    summary="Share a licence for a while / 分享证照",
    description="A link to the licence's verification that works until it expires.",
)
def my_licence_share(
    request: HttpRequest, licence_id: PathId, payload: ShareIn
) -> Status[ShareOut]:
    user = _holder(request)
    licence = selectors.licence_get_for_holder(user=user, licence_id=licence_id)
    token, expires = services.licence_share_create(licence=licence, user=user, hours=payload.hours)
    url = request.build_absolute_uri(reverse("web:licence_shared", args=[token]))
    return Status(201, ShareOut(url=url, expires_at=expires))


def _staff_licence(request: HttpRequest, licence_id: int) -> tuple[User, Licence]:
    user = request.user
    assert isinstance(user, User)
    return user, selectors.licence_get_for_staff(user=user, licence_id=licence_id)


@router.get(
    "/licences/{licence_id}",
    response=LicenceOut,
    summary="A licence (issuing department) / 证照详情",
)
def licence_get(request: HttpRequest, response: HttpResponse, licence_id: PathId) -> LicenceOut:
    _user, licence = _staff_licence(request, licence_id)
    response["ETag"] = f'"{licence.row_version}"'
    return LicenceOut.of(licence)


def _status_change(name: str, summary: str) -> None:
    service = getattr(services, f"licence_{name}")

    def handler(
        request: HttpRequest, licence_id: PathId, payload: ReasonIn, if_match: IfMatch = None
    ) -> LicenceOut:
        user, licence = _staff_licence(request, licence_id)
        changed = service(
            licence=licence,
            user=user,
            reason=payload.reason,
            expected_version=expected_version(if_match, payload.version),
        )
        return LicenceOut.of(changed)

    handler.__name__ = f"licence_{name}"
    router.post(f"/licences/{{licence_id}}/{name}", response=LicenceOut, summary=summary)(handler)


_status_change("suspend", "Suspend a licence / 暂停证照")
_status_change("reinstate", "Reinstate a suspended licence / 恢复证照")
_status_change("revoke", "Revoke a licence / 注销证照")


@router.post(
    "/licences/{licence_id}/renew",
    response={201: LicenceOut},
    summary="Renew or change a licence / 换发、变更证照",
    description="A new version with the same serial, newly sealed; the old one is superseded.",
)
def licence_renew(
    request: HttpRequest, licence_id: PathId, payload: RenewIn, if_match: IfMatch = None
) -> Status[LicenceOut]:
    user, licence = _staff_licence(request, licence_id)
    renewed = services.licence_renew(
        licence=licence,
        user=user,
        reason=payload.reason,
        changes=payload.changes,
        expected_version=expected_version(if_match, payload.version),
    )
    return Status(201, LicenceOut.of(renewed))
