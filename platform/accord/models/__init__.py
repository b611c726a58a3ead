"""All core models. Importing this package registers every table on ``Base.metadata``."""

from accord.models.agreements import Agreement, agreement_parties
from accord.models.audit import AuditEvent
from accord.models.collections import Collection, CollectionGrant, CollectionKind
from accord.models.envelopes import QueuedEnvelope
from accord.models.scheduling import SchedulerLease, SchedulerTakeover, scheduler_jobs
from accord.models.stix import StixObject, TaxiiStatus
from accord.models.teams import Team, TrustGroup, trust_group_members
from accord.models.throttle import LoginThrottle
from accord.models.users import ApiToken, Role, Scope, User

__all__ = [
    "Agreement",
    "ApiToken",
    "AuditEvent",
    "Collection",
    "CollectionGrant",
    "CollectionKind",
    "LoginThrottle",
    "QueuedEnvelope",
    "Role",
    "SchedulerLease",
    "SchedulerTakeover",
    "Scope",
    "StixObject",
    "TaxiiStatus",
    "Team",
    "TrustGroup",
    "User",
    "agreement_parties",
    "scheduler_jobs",
    "trust_group_members",
]
