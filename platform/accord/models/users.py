"""Users (people and service accounts) and their API tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime, created_at, uuid_pk

if TYPE_CHECKING:
    from accord.models.teams import Team


class Role(enum.StrEnum):
    """What a user may do on the hub, from most to least powerful."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    EVALUATOR = "evaluator"
    OBSERVER = "observer"
    SERVICE = "service"


class Scope(enum.StrEnum):
    """What an API token may be used for."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class User(Base):
    """A person or service account; always a member of exactly one team."""

    __tablename__ = "users"

    id: Mapped[uuid_pk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every password change and deactivation: cached password checks and web
    # sessions made with an older value are no longer honoured (issue 12).
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    team: Mapped[Team] = relationship(back_populates="users", lazy="joined")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_service(self) -> bool:
        return self.role == Role.SERVICE

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(Base):
    """A bearer credential; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    allowed_networks: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_from: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(back_populates="tokens", lazy="joined")

    def summary(self) -> dict[str, Any]:
        """What may be shown about a token: never the secret."""
        return {
            "id": str(self.id),
            "name": self.name,
            "user": self.user.username,
            "prefix": self.display_prefix,
            "scopes": list(self.scopes),
            "allowed_networks": list(self.allowed_networks),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "created_at": self.created_at.isoformat(),
        }
