"""Whose public comment is a first response (docs/POLICY.md 5): the pure functions, in the service
desk API's comment shape, Cloud and Data Center (issue 12: a request participant's comment
cancelled every reminder)."""
from __future__ import annotations

import pytest

from worker.reminders.response import RESPONDED, author_kind, by_comments, participant_identities

REPORTER = {"cloud": {"accountId": "557058:11111111-aaaa-4bbb-8ccc-000000000001"},
            "datacenter": {"name": "globex.admin", "key": "JIRAUSER10201"}}
PARTICIPANT = {"cloud": {"accountId": "qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b"},
               "datacenter": {"name": "paul.participant", "key": "JIRAUSER10311"}}
AGENT = {"cloud": {"accountId": "712020:5c0ffee0-7d1e-4c2b-9a55-00000000a9e7"},
         "datacenter": {"name": "sam.support", "key": "JIRAUSER10002"}}
APP = {"accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"}
# What Cloud's user lookup answers for each account (the service desk API's authors omit it).
CLOUD_TYPES = {REPORTER["cloud"]["accountId"]: "customer", PARTICIPANT["cloud"]["accountId"]: "customer",
               AGENT["cloud"]["accountId"]: "atlassian", APP["accountId"]: "app"}


def comment(author, public=True, id="10100"):
    return {"id": id, "body": "text", "public": public, "author": {**author, "displayName": "Someone"}}


def cloud_lookup(author):
    return CLOUD_TYPES.get(author.get("accountId"))


def verdict(site, comments, participants=()):
    lookup = cloud_lookup if site == "cloud" else None
    return by_comments(comments, REPORTER[site], participants=lambda: list(participants), account_type_of=lookup)


@pytest.mark.parametrize("site", ["cloud", "datacenter"])
def test_a_request_participants_public_comment_is_no_first_response(site):
    assert verdict(site, [comment(PARTICIPANT[site])], participants=[PARTICIPANT[site]]) is None


@pytest.mark.parametrize("site", ["cloud", "datacenter"])
def test_an_agents_public_comment_is_the_first_response(site):
    found = verdict(site, [comment(REPORTER[site], id="1"), comment(PARTICIPANT[site], id="2"),
                           comment(AGENT[site], public=False, id="3"), comment(AGENT[site], id="4")],
                    participants=[PARTICIPANT[site]])
    who = "an agent" if site == "cloud" else "someone other than the reporter and the request participants"
    assert (found.state, found.evidence) == (RESPONDED, f"public comment 4 by {who}")


def test_an_apps_public_comment_does_not_count():
    assert verdict("cloud", [comment(APP)]) is None
    # Carried in the comment (the platform and webhook shapes), it needs no lookup.
    assert by_comments([comment({**APP, "accountType": "app"})], REPORTER["cloud"]) is None


def test_a_carried_account_type_decides_without_a_lookup_or_the_participants():
    def no_reads():
        raise AssertionError("the participants must not be read")
    customer = {"accountId": "qm:other", "accountType": "customer"}
    agent = {**AGENT["cloud"], "accountType": "atlassian"}
    assert by_comments([comment(customer)], REPORTER["cloud"], participants=no_reads, account_type_of=no_reads) is None
    assert by_comments([comment(agent)], REPORTER["cloud"], participants=no_reads,
                       account_type_of=no_reads).evidence == "public comment 10100 by an agent"


def test_an_agent_who_is_also_a_participant_still_answers_on_cloud():
    found = verdict("cloud", [comment(AGENT["cloud"])], participants=[AGENT["cloud"]])
    assert found.evidence == "public comment 10100 by an agent"


def test_the_participants_are_read_once_and_only_when_an_author_is_in_doubt():
    reads = []

    def participants():
        reads.append(1)
        return [PARTICIPANT["datacenter"]]
    assert by_comments([comment(REPORTER["datacenter"])], REPORTER["datacenter"], participants=participants) is None
    assert reads == []
    by_comments([comment(PARTICIPANT["datacenter"], id="1"), comment(PARTICIPANT["datacenter"], id="2"),
                 comment(AGENT["datacenter"], id="3")], REPORTER["datacenter"], participants=participants)
    assert reads == [1]


def test_where_the_author_cannot_be_told_apart_todays_behaviour_stands():
    # Data Center, no participants field on the site (None) and no account type: an author other
    # than the reporter counts as an agent, as before (docs/POLICY.md 5, gap).
    found = by_comments([comment(PARTICIPANT["datacenter"])], REPORTER["datacenter"], participants=lambda: None)
    assert found.state == RESPONDED
    assert by_comments([comment(PARTICIPANT["datacenter"])], REPORTER["datacenter"]).state == RESPONDED


@pytest.mark.parametrize("value, ids", [
    (None, frozenset()), ("paul", frozenset()), ([], frozenset()), (["paul", 3, None], frozenset()),
    ([{"name": "paul", "key": "JIRAUSER1"}, {"accountId": "a-1"}], frozenset({"paul", "JIRAUSER1", "a-1"})),
])
def test_participant_identities_take_only_users(value, ids):
    assert participant_identities(value) == ids


def test_author_kind_names_each_kind():
    reporter_ids = frozenset({"r"})
    assert author_kind({"accountId": "r", "accountType": "atlassian"}, reporter_ids) == (False, "the reporter")
    assert author_kind({"accountId": "c", "accountType": "customer"}, reporter_ids) == (False, "a customer")
    assert author_kind({"accountId": "x", "accountType": "app"}, reporter_ids) == (False, "an app")
    assert author_kind({"name": "p"}, reporter_ids, lambda: [{"name": "p"}]) == (False, "a request participant")
