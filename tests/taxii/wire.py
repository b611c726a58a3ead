"""Plain HTTP calls to a live hub's TAXII 2.1 collection (sections 1.6.8, 5.3-5.8).

The TLP, provenance and audit tests talk to the server the way any client does: real requests,
the TAXII media type, HTTP Basic or Bearer credentials. This keeps status codes and raw bodies
in view, which the higher-level client libraries hide.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import requests

from accord.models.collections import Collection
from accord.models.users import User
from tests.factories import PASSWORD

TAXII = "application/taxii+json;version=2.1"


def bearer(secret: str) -> str:
    """An ``Authorization`` value for an API token."""
    return f"Bearer {secret}"


def basic(username: str, secret: str = PASSWORD) -> str:
    """An ``Authorization`` value for HTTP Basic (a password, or a token as the password)."""
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


@dataclass
class Wire:
    """One caller's view of one collection over real HTTP."""

    base_url: str
    collection_id: str
    authorization: str
    http: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def of(cls, server_url: str, collection: Collection, authorization: str) -> Wire:
        return cls(server_url, str(collection.id), authorization)

    @classmethod
    def with_password(cls, server_url: str, collection: Collection, user: User) -> Wire:
        return cls.of(server_url, collection, basic(user.username))

    @property
    def url(self) -> str:
        return f"{self.base_url}/taxii2/api/collections/{self.collection_id}/"

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Accept": TAXII, "Authorization": self.authorization, **extra}

    def get(self, path: str = "objects/", **params: str) -> requests.Response:
        """GET ``path`` under the collection with TAXII filters given by their plain names."""
        query = {_param(name): value for name, value in params.items()}
        return self.http.get(self.url + path, params=query, headers=self._headers(), timeout=30)

    def post(self, *objects: dict[str, Any]) -> requests.Response:
        """POST an envelope of ``objects`` (section 5.5)."""
        return self.http.post(self.url + "objects/", json={"objects": list(objects)},
                              headers=self._headers(**{"Content-Type": TAXII}), timeout=30)

    def add(self, *objects: dict[str, Any]) -> dict[str, Any]:
        """POST and return the status resource, failing the test unless the hub answered 202."""
        response = self.post(*objects)
        assert response.status_code == 202, response.text
        status: dict[str, Any] = response.json()
        return status

    def delete(self, object_id: str, **params: str) -> requests.Response:
        query = {_param(name): value for name, value in params.items()}
        return self.http.delete(f"{self.url}objects/{object_id}/", params=query,
                                headers=self._headers(), timeout=30)


def _param(name: str) -> str:
    """``match_id`` → ``match[id]``; other names pass through."""
    return f"match[{name.removeprefix('match_')}]" if name.startswith("match_") else name


def failures_by_id(status: dict[str, Any]) -> dict[str, str]:
    """The status resource's failure messages keyed by object id (section 4.3.1)."""
    return {detail["id"]: detail.get("message", "") for detail in status.get("failures", [])}


def success_ids(status: dict[str, Any]) -> list[str]:
    return [detail["id"] for detail in status.get("successes", [])]
