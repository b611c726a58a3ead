"""Tables of the exercises package: scenarios, exercise runs, injects, play and evaluation.

A scheduled exercise keeps its own copy of the scenario document, so editing or re-importing
the scenario never changes a drill that is already on the calendar. All times are UTC.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime, created_at, uuid_pk
from accord.models.teams import Team
from accord.models.users import User


def _values(enum_cls: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_cls]


def _enum(enum_cls: type[enum.Enum]) -> Enum:
    return Enum(enum_cls, native_enum=False, length=20, values_callable=_values)


class ExerciseState(enum.StrEnum):
    """Life cycle of one run (OpenAEV's status machine, without reset)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class InjectState(enum.StrEnum):
    """Where one inject of one run stands."""

    PENDING = "pending"  # waiting for its time (or held for manual release)
    RELEASED = "released"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # the exercise ended before it was released


class Verdict(enum.StrEnum):
    """Outcome of one expected action for one team (HSEEP P/S/M/U map onto the manual ones)."""

    PENDING = "pending"
    MET = "met"
    LATE = "late"
    MISSED = "missed"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"
    NOT_OBSERVED = "not_observed"


class StaffRole(enum.StrEnum):
    EVALUATOR = "evaluator"
    OBSERVER = "observer"


class ImprovementStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class Scenario(Base):
    """A validated scenario document (the normalised form of the YAML/JSON/CSV source)."""

    __tablename__ = "exercise_scenarios"
    __table_args__ = (UniqueConstraint("title", "version"),)

    id: Mapped[uuid_pk]
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_format: Mapped[str] = mapped_column(String(10), default="yaml")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class Exercise(Base):
    """One scheduled run of a scenario for real teams."""

    __tablename__ = "exercises"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200))
    scenario_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercise_scenarios.id"))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    owner_team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    state: Mapped[ExerciseState] = mapped_column(_enum(ExerciseState),
                                                 default=ExerciseState.SCHEDULED)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    rehearsal: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id"))
    created_at: Mapped[created_at]

    owner_team: Mapped[Team] = relationship(lazy="joined")
    teams: Mapped[list[ExerciseTeam]] = relationship(
        back_populates="exercise", cascade="all, delete-orphan", order_by="ExerciseTeam.placeholder"
    )
    staff: Mapped[list[ExerciseStaff]] = relationship(cascade="all, delete-orphan")
    injects: Mapped[list[ExerciseInject]] = relationship(
        back_populates="exercise", cascade="all, delete-orphan", order_by="ExerciseInject.sequence"
    )


class ExerciseTeam(Base):
    """A real team playing one scenario placeholder, with its private briefing collection."""

    __tablename__ = "exercise_teams"
    __table_args__ = (
        UniqueConstraint("exercise_id", "placeholder"),
        UniqueConstraint("exercise_id", "team_id"),
    )

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    placeholder: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    briefing_collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id"))
    webhook_url: Mapped[str | None] = mapped_column(String(500))

    exercise: Mapped[Exercise] = relationship(back_populates="teams")
    team: Mapped[Team] = relationship(lazy="joined")


class ExerciseStaff(Base):
    """An evaluator or observer assigned to one exercise."""

    __tablename__ = "exercise_staff"
    __table_args__ = (UniqueConstraint("exercise_id", "user_id"),)

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))

    user: Mapped[User] = relationship(lazy="joined")


class ExerciseInject(Base):
    """One inject of one run: when it was planned, when it is due now, when it went out."""

    __tablename__ = "exercise_injects"
    __table_args__ = (UniqueConstraint("exercise_id", "key"),)

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    offset_seconds: Mapped[float] = mapped_column(Float)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # start + offset / speed
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # planned_at shifted by pauses
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[InjectState] = mapped_column(_enum(InjectState), default=InjectState.PENDING)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_mode: Mapped[str | None] = mapped_column(String(20))  # schedule | manual
    released_by: Mapped[str | None] = mapped_column(String(80))

    exercise: Mapped[Exercise] = relationship(back_populates="injects")


class ExerciseDelivery(Base):
    """An inject reaching one team through one channel (inbox, taxii, webhook)."""

    __tablename__ = "exercise_deliveries"
    __table_args__ = (UniqueConstraint("inject_id", "team_id", "channel"),)

    id: Mapped[uuid_pk]
    inject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_injects.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    channel: Mapped[str] = mapped_column(String(20))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="delivered")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Webhooks are an outbox: queued with the release, sent by the scheduler's worker job.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class ExerciseResponse(Base):
    """A team's acknowledgement, response or decision to an inject, with author and hub time."""

    __tablename__ = "exercise_responses"

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    inject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_injects.id", ondelete="CASCADE"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # acknowledge | response | decision
    action_key: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]


class ExpectationResult(Base):
    """The verdict on one expected action for one team: automatic, manual, or overridden."""

    __tablename__ = "exercise_expectations"
    __table_args__ = (UniqueConstraint("inject_id", "action_key", "team_id"),)

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    inject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_injects.id", ondelete="CASCADE"))
    action_key: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    evidence_kind: Mapped[str] = mapped_column(String(20))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    auto_verdict: Mapped[Verdict | None] = mapped_column(_enum(Verdict))
    evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    judged_verdict: Mapped[Verdict | None] = mapped_column(_enum(Verdict))
    judged_by: Mapped[str | None] = mapped_column(String(80))
    judged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str | None] = mapped_column(Text)

    team: Mapped[Team] = relationship(lazy="joined")

    @property
    def verdict(self) -> Verdict:
        """The verdict that counts: an evaluator's judgement wins over the automatic one."""
        return self.judged_verdict or self.auto_verdict or Verdict.PENDING

    @property
    def overridden(self) -> bool:
        return self.override_reason is not None


class ExerciseNote(Base):
    """An evaluator observation, strength, area for improvement or lesson learned."""

    __tablename__ = "exercise_notes"

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # observation | strength | improvement | lesson
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    objective: Mapped[str | None] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]


class ObjectiveRating(Base):
    """An evaluator's rating of one objective for one team, on the scenario's scale."""

    __tablename__ = "exercise_ratings"
    __table_args__ = (UniqueConstraint("exercise_id", "objective", "team_id"),)

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    objective: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    rating: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[str] = mapped_column(String(80))
    rated_at: Mapped[created_at]


class ImprovementAction(Base):
    """One row of the improvement plan (HSEEP AAR/IP: capability, observation, recommendation,
    corrective action, owner, start and completion dates), kept by coordinators."""

    __tablename__ = "exercise_improvements"

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(Text)
    capability: Mapped[str] = mapped_column(String(200), default="")
    observation: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(Text, default="")
    owner_team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[ImprovementStatus] = mapped_column(
        _enum(ImprovementStatus), default=ImprovementStatus.OPEN
    )
    objective: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[created_at]

    owner_team: Mapped[Team] = relationship(lazy="joined")


class ExerciseThread(Base):
    """A conversation between teams of one run, and possibly EXCON (``excon``).

    ``participants`` lists the scenario placeholders of the teams in the thread, plus
    ``excon`` when the exercise control team is addressed; EXCON and staff read every thread.
    """

    __tablename__ = "exercise_threads"

    id: Mapped[uuid_pk]
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200))
    participants: Mapped[list[str]] = mapped_column(JSON)
    started_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[created_at]

    messages: Mapped[list[ExerciseMessage]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", order_by="ExerciseMessage.created_at"
    )


class ExerciseMessage(Base):
    """One message in a thread, from a team (its placeholder) or from EXCON (``excon``)."""

    __tablename__ = "exercise_messages"

    id: Mapped[uuid_pk]
    thread_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_threads.id", ondelete="CASCADE"), index=True
    )
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]

    thread: Mapped[ExerciseThread] = relationship(back_populates="messages")
