"""The IEP 2.0 vocabulary: parsing from marking-definitions, validation, stricter wins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.iep import (
    Action,
    Attribution,
    IepError,
    IepPolicy,
    Permission,
    Requirement,
    parse_policy,
    policy_in_marking,
    stricter,
)
from accord.tlp import Tlp

FIRST_AMBER = {
    "type": "marking-definition", "spec_version": "2.1",
    "id": "marking-definition--0f7cd0fc-4ee1-4bd4-94b5-4a4cb1e57bd5",
    "created": "2024-01-01T00:00:00.000Z", "name": "FIRST IEP-SIG TLP-AMBER",
    "extensions": {"extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade": {
        "extension_type": "property-extension", "iep_version": "2.0",
        "encrypt_in_transit": "must", "permitted_actions": "internally-visible-actions",
        "affected_party_notifications": "may", "tlp": "amber", "attribution": "must-not",
        "unmodified_resale": "must-not", "start_date": "2024-01-01T00:00:00Z",
        "end_date": "2027-01-01T00:00:00Z"}},
}


def test_a_marking_definitions_extension_is_read_as_a_policy() -> None:
    policy = policy_in_marking(FIRST_AMBER)
    assert policy is not None
    assert policy.name == "FIRST IEP-SIG TLP-AMBER"
    assert policy.policy_id == FIRST_AMBER["id"]
    assert policy.encrypt_in_transit is Requirement.MUST
    assert policy.permitted_actions is Action.INTERNALLY_VISIBLE
    assert policy.tlp is Tlp.AMBER and policy.hides_source
    assert policy.end_date == datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_policy(policy.to_json()) == policy


def test_markings_without_iep_statements_carry_no_policy() -> None:
    tlp = {"type": "marking-definition", "id": "marking-definition--x", "definition_type": "tlp",
           "definition": {"tlp": "red"}}
    assert policy_in_marking(tlp) is None
    assert policy_in_marking({"type": "indicator"}) is None


@pytest.mark.parametrize(("statements", "message"), [
    ({"permitted_actions": "launch-missiles"}, "permitted_actions"),
    ({"attribution": 3}, "attribution"),
    ({"iep_version": "1.0"}, "iep_version"),
    ({"end_date": "tomorrow"}, "end_date"),
    ({"start_date": "2025-01-02T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"}, "after"),
])
def test_malformed_statements_are_refused_by_name(statements: dict[str, object],
                                                   message: str) -> None:
    with pytest.raises(IepError, match=message):
        parse_policy(statements)


def test_each_statement_takes_the_stricter_value() -> None:
    own = IepPolicy(name="own", permitted_actions=Action.EXTERNALLY_VISIBLE_DIRECT,
                    attribution=Attribution.MAY, tlp=Tlp.GREEN,
                    end_date=datetime(2030, 1, 1, tzinfo=UTC))
    default = IepPolicy(name="agreement", permitted_actions=Action.INTERNALLY_VISIBLE,
                        attribution=Attribution.MUST_NOT, tlp=Tlp.AMBER,
                        encrypt_in_transit=Requirement.MUST,
                        unmodified_resale=Permission.MUST_NOT,
                        end_date=datetime(2028, 1, 1, tzinfo=UTC))
    merged = stricter(own, default)
    assert merged is not None
    assert merged.permitted_actions is Action.INTERNALLY_VISIBLE
    assert merged.attribution is Attribution.MUST_NOT and merged.tlp is Tlp.AMBER
    assert merged.encrypt_in_transit is Requirement.MUST
    assert merged.end_date == datetime(2028, 1, 1, tzinfo=UTC)
    reverse = stricter(default, own)
    assert reverse is not None and reverse.permitted_actions is merged.permitted_actions
    assert stricter(None, own) is own and stricter(own, None) is own


def test_permitted_actions_order_decides_what_an_export_may_include() -> None:
    internal = IepPolicy(permitted_actions=Action.INTERNALLY_VISIBLE)
    assert internal.permits(Action.CONTACT_FOR_INSTRUCTION)
    assert not internal.permits(Action.EXTERNALLY_VISIBLE_DIRECT)
    assert IepPolicy().permits(Action.EXTERNALLY_VISIBLE_DIRECT)
    assert parse_policy({"permitted_actions": "none"}).permitted_actions is Action.NOTHING
