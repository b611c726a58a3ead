"""Failed-login counters for rate limiting (issue 12), shared by every worker through the DB."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class LoginThrottle(Base):
    """One counter: failed (and in-flight) logins for a key in the window that started at
    ``window_start``. The key is a keyed hash, never the username or address itself."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
