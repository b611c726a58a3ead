"""Admin pages: teams, trust groups, users, all tokens, collections and grants.

Every change goes through ``accord.services.*`` (which validate and audit); a service error is
shown at the top of the page it came from.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session
from accord.errors import AccordError
from accord.models.users import Role
from accord.services import agreements, collections, teams, tokens, users
from accord.tlp import Tlp
from accord.web import audit_views, forms
from accord.web.sessions import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.register_blueprint(audit_views.bp)
admin_only = role_required(Role.ADMIN)


def _apply(change: Callable[[], object], done: str, page: str) -> WerkzeugResponse:
    """Run one service call in its own unit of work; flash the outcome and go back to ``page``."""
    db = get_session()
    try:
        change()
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
    else:
        db.commit()
        flash(done, "success")
    return redirect(url_for(page), code=303)


@bp.get("/teams")
@admin_only
def team_list() -> str:
    """Teams and trust groups, with forms to add both."""
    db = get_session()
    return render_template("admin/teams.html", teams=teams.list_teams(db),
                           groups=teams.list_trust_groups(db))


@bp.post("/teams")
@admin_only
def team_create() -> WerkzeugResponse:
    name = forms.text("name")
    return _apply(lambda: teams.create_team(get_session(), name, forms.text("country_code"),
                                            forms.text("contact"),
                                            forms.text("timezone") or "UTC"),
                  f"Team {name} created.", "web.admin.team_list")


@bp.post("/trust-groups")
@admin_only
def group_create() -> WerkzeugResponse:
    name = forms.text("name")
    return _apply(lambda: teams.create_trust_group(get_session(), name,
                                                   forms.text("description")),
                  f"Trust group {name} created.", "web.admin.team_list")


@bp.post("/trust-groups/members")
@admin_only
def group_add_team() -> WerkzeugResponse:
    group, team = forms.text("group"), forms.text("team")
    return _apply(lambda: teams.add_team_to_group(get_session(), group, team),
                  f"{team} joined {group}.", "web.admin.team_list")


@bp.get("/users")
@admin_only
def user_list() -> str:
    db = get_session()
    return render_template("admin/users.html", users=users.list_users(db),
                           teams=teams.list_teams(db), roles=[role.value for role in Role])


@bp.post("/users")
@admin_only
def user_create() -> WerkzeugResponse:
    username = forms.text("username")
    role = forms.text("role")
    password = forms.text("password") or None
    return _apply(lambda: users.create_user(get_session(), username, forms.text("team"), role,
                                            password, forms.text("display_name"),
                                            forms.text("email")),
                  f"User {username} created.", "web.admin.user_list")


@bp.post("/users/<username>/deactivate")
@admin_only
def user_deactivate(username: str) -> WerkzeugResponse:
    return _apply(lambda: users.deactivate_user(get_session(), username),
                  f"User {username} deactivated.", "web.admin.user_list")


@bp.get("/tokens")
@admin_only
def token_list() -> str:
    return render_template("admin/tokens.html", tokens=tokens.list_tokens(get_session()))


@bp.post("/tokens/<token_id>/revoke")
@admin_only
def token_revoke(token_id: str) -> WerkzeugResponse:
    return _apply(lambda: tokens.revoke_token(get_session(), token_id),
                  "Token revoked.", "web.admin.token_list")


@bp.get("/collections")
@admin_only
def collection_list() -> str:
    db = get_session()
    return render_template("admin/collections.html",
                           collections=collections.list_collections(db),
                           teams=teams.list_teams(db), levels=list(Tlp),
                           agreements=agreements.list_agreements(db))


@bp.post("/collections")
@admin_only
def collection_create() -> WerkzeugResponse:
    title = forms.text("title")
    default_tlp = forms.text("default_tlp") or current_app.config["TAXII_DEFAULT_TLP"]
    return _apply(lambda: collections.create_collection(
        get_session(), title, forms.text("owner"), forms.text("description"),
        forms.text("kind") or "sharing", default_tlp,
        forms.checked("allows_red"), forms.text("alias") or None,
        agreement=forms.text("agreement") or None),
        f"Collection {title} created.", "web.admin.collection_list")


@bp.post("/collections/<collection_id>/grants")
@admin_only
def grant_set(collection_id: str) -> WerkzeugResponse:
    team = forms.text("team")
    return _apply(lambda: collections.grant(get_session(), collection_id, team,
                                            forms.checked("can_read"), forms.checked("can_write"),
                                            forms.text("max_tlp") or "amber",
                                            agreement=forms.text("agreement") or None),
                  f"Grant for {team} saved.", "web.admin.collection_list")


@bp.post("/collections/<collection_id>/grants/revoke")
@admin_only
def grant_revoke(collection_id: str) -> WerkzeugResponse:
    team = forms.text("team")
    return _apply(lambda: collections.revoke(get_session(), collection_id, team),
                  f"Grant for {team} removed.", "web.admin.collection_list")
