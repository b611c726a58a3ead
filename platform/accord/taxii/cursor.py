"""Opaque, signed ``next`` tokens for keyset pagination (section 3.5, Appendix B).

A token names the collection, the resource and the last ``date_added`` served; it is signed so
a forged or altered token is a clear 400. It carries no permission: every page re-applies the
current caller's rights and filters, so a replayed token shows nothing it may not see.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from accord.errors import BadRequest
from accord.sharing.timestamps import format_timestamp, parse_timestamp

_SALT = "accord.taxii.next"


def encode(secret: str, collection_id: uuid.UUID, resource: str, after: datetime) -> str:
    """The ``next`` value for a page that ended at ``after``."""
    return str(URLSafeSerializer(secret, salt=_SALT).dumps(
        [str(collection_id), resource, format_timestamp(after)]))


def decode(secret: str, token: str, collection_id: uuid.UUID, resource: str) -> datetime:
    """The ``date_added`` a ``next`` token continues after; 400 if it is not ours."""
    try:
        coll, kind, after = URLSafeSerializer(secret, salt=_SALT).loads(token)
        moment = parse_timestamp(after)
    except (BadSignature, ValueError, TypeError):
        raise BadRequest("next: not a token this server issued") from None
    if coll != str(collection_id) or kind != resource:
        raise BadRequest("next: this token belongs to another collection or resource")
    return moment
