"""Audit refused web requests (rule 6): a hidden object, a collection without a grant, a share
the team may not make. One ``web.refused`` row per refused request, with who, team, what and
from where, written on its own transaction so the request's rollback cannot erase it."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from accord import audit

REFUSALS_AUDITED = frozenset({403, 404})
TARGETS = ("collection_id", "stix_id", "token_id", "username", "ref")


def _target() -> tuple[str | None, str | None]:
    """What was asked for: the first id in the URL, else the collection a form named."""
    args = request.view_args or {}
    for name in TARGETS:
        if name in args:
            return name.removesuffix("_id"), str(args[name])[:300]
    chosen = request.form.get("collection", "") if request.method == "POST" else ""
    return ("collection", chosen[:300]) if chosen else (None, None)


def audit_refusal(response: Response) -> Response:
    """Record a 403/404 answered to a signed-in user (anonymous visitors are sent to sign in)."""
    user = g.get("user")
    if response.status_code in REFUSALS_AUDITED and user is not None:
        target_type, target_id = _target()
        audit.record_now("web.refused", outcome="failure", actor=user, target_type=target_type,
                         target_id=target_id,
                         details={"method": request.method, "path": request.path[:300],
                                  "status": response.status_code})
    return response


def install(bp: Blueprint) -> None:
    """Audit refusals on every page of ``bp`` and its child blueprints."""
    bp.after_request(audit_refusal)
