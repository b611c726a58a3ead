"""A named user's standing on a collection, for offline sharing and exports (``accord share``).

The same policy as TAXII (:mod:`accord.taxii.access`): a team reaches a collection only through
its grant, writing needs a write grant and a role that writes (``accord.authz.can_write``), and
reads go through the grant's TLP ceiling (``accord.authz.read_access``). Refusals are audited on
their own transaction, since the command that was refused rolls back (rule 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord import audit, authz
from accord.errors import Forbidden
from accord.models.collections import Collection, CollectionGrant
from accord.models.users import User
from accord.services import lookup
from accord.sharing.ingest import Author
from accord.tlp import ReadAccess


@dataclass(frozen=True)
class Standing:
    """One user, one collection and the user's team's grant on it (None: no grant)."""

    user: User
    collection: Collection
    grant: CollectionGrant | None

    @property
    def author(self) -> Author:
        return Author(team_id=self.user.team_id, user_id=self.user.id)

    def read_access(self) -> ReadAccess:
        assert self.grant is not None
        return authz.read_access(self.user, self.grant)

    def refuse(self, action: str, reason: str) -> Forbidden:
        """Audit a refusal (committed on its own) and return the error to raise."""
        audit.record_now(action, actor=self.user, target_type="collection",
                         target_id=self.collection.id, outcome="denied",
                         details={"reason": reason})
        return Forbidden(reason)

    def require_write(self, action: str) -> None:
        """Forbidden unless the user may add objects here (as TAXII's add objects, s5.5)."""
        team, title = self.user.team.name, self.collection.title
        if self.grant is None or not self.grant.can_write:
            raise self.refuse(action, f"team {team!r} may not write to collection {title!r}")
        if not authz.can_write(self.user, self.grant):
            raise self.refuse(action, f"the {self.user.role.value} role does not write objects")

    def require_read(self, action: str) -> None:
        """Forbidden unless the user's team may read here (as TAXII's get objects, s5.4)."""
        if not authz.can_read(self.grant):
            raise self.refuse(action, f"team {self.user.team.name!r} may not read collection "
                                      f"{self.collection.title!r}")


def standing(session: Session, username: str, collection_ref: str) -> Standing:
    """Look up the user and collection (NotFound names which) and the grant between them."""
    user = lookup.user(session, username)
    if not user.active:
        raise Forbidden(f"user {username!r} is deactivated")
    collection = lookup.collection(session, collection_ref)
    return Standing(user, collection, authz.grant_for(session, user.team_id, collection.id))
