"""Creating users and deactivating them."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.credentials import hash_password
from accord.errors import BadRequest, Conflict
from accord.models.users import Role, User
from accord.services import lookup
from accord.services.fields import fits

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,79}$")
MIN_PASSWORD_LENGTH = 10


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise BadRequest(f"role: {text!r} is not one of {names}") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"password: use at least {MIN_PASSWORD_LENGTH} characters")


def create_user(
    session: Session,
    username: str,
    team_name: str,
    role: str | Role,
    password: str | None,
    display_name: str = "",
    email: str = "",
) -> User:
    """Create a user; service accounts may have no password (they use tokens)."""
    if not USERNAME.match(username):
        raise BadRequest(
            f"username: {username!r} must be 2-80 letters, digits or . _ @ - "
            "and start with a letter or digit"
        )
    fits(display_name, User.display_name, "display_name")
    fits(email, User.email, "email")
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"a user named {username!r} already exists")
    team = lookup.team(session, team_name)
    user_role = role if isinstance(role, Role) else parse_role(role)
    if password is None and user_role != Role.SERVICE:
        raise BadRequest("password: required for people (only service accounts may omit it)")
    if password is not None:
        check_password(password)
    user = User(
        credentials_version=0,
        username=username,
        team=team,
        team_id=team.id,
        role=user_role,
        password_hash=hash_password(password) if password is not None else None,
        display_name=display_name or username,
        email=email,
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user.create", target_type="user", target_id=user.id,
                 details={"username": username, "team": team.name, "role": user_role.value})
    return user


def deactivate_user(session: Session, username: str) -> User:
    user = lookup.user(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is already inactive")
    user.active = False
    user.credentials_version += 1  # ends web sessions and cached password checks
    audit.record(session, "user.deactivate", target_type="user", target_id=user.id,
                 details={"username": username})
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = lookup.user(session, username)
    check_password(password)
    user.password_hash = hash_password(password)
    user.credentials_version += 1  # ends web sessions and cached password checks
    audit.record(session, "user.password", target_type="user", target_id=user.id)
    return user


def list_users(session: Session, team_name: str | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if team_name:
        query = query.where(User.team_id == lookup.team(session, team_name).id)
    return list(session.scalars(query))
