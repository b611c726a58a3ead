"""An IEP 2.0 policy in plain words for pages and the API (accord.sharing.policy_text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accord.sharing.policy_text import describe

NOW = datetime(2026, 12, 1, tzinfo=UTC)
STORED = {"name": "IR only", "policy_id": "marking-definition--x",
          "tlp": "amber", "attribution": "may", "unmodified_resale": "must-not",
          "affected_party_notifications": "must-not", "encrypt_at_rest": "must",
          "encrypt_in_transit": "may", "permitted_actions": "contact-for-instruction",
          "end_date": "2026-12-31T00:00:00Z"}


def test_obligations_prohibitions_actions_and_validity_come_first_highlighted() -> None:
    view = describe(STORED, datetime(2026, 12, 31, tzinfo=UTC), NOW)
    assert view is not None and view.name == "IR only"
    assert [s.name for s in view.prominent] == [
        "encrypt_at_rest", "permitted_actions", "affected_party_notifications",
        "unmodified_resale", "end_date", "expires_at"]
    texts = {s.name: s.text for s in view.statements}
    assert texts["unmodified_resale"] == "Must NOT be resold or passed on unmodified."
    assert texts["affected_party_notifications"] == "Must NOT be used to notify affected " \
                                                    "parties."
    assert texts["permitted_actions"].startswith("Permitted: contact the source")
    assert "2026-12-31 00:00 UTC" in texts["end_date"]
    assert {s.name for s in view.other} == {"encrypt_in_transit", "tlp", "attribution"}
    assert view.statements.index(view.prominent[-1]) < view.statements.index(view.other[0])
    assert view.expired is False


def test_expiry_alone_and_expired() -> None:
    view = describe(None, NOW - timedelta(seconds=1), NOW)
    assert view is not None and view.expired is True
    assert [s.name for s in view.statements] == ["expires_at"]
    assert view.to_json()["expired_for_recipients"] is True
    assert describe(None, None, NOW) is None and describe({}, None, NOW) is None


def test_a_stored_policy_that_no_longer_parses_is_shown_as_written() -> None:
    view = describe({"permitted_actions": "anything-goes"}, None, NOW)
    assert view is not None
    assert [(s.name, s.value) for s in view.statements] == [
        ("permitted_actions", "anything-goes")]
