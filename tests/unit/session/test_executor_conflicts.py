"""Two applies creating the same name at once: the later one deletes only its own new deployment.

The fake account gets a rival record (as another apply would create it) at the moment this run's
create lands; the rival's ``created_at`` decides who stays.
"""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.runcomfy.client import DEPLOYMENTS
from support.fake_api import FakeDeploymentsApi
from unit.session.test_executor_calls import LIST, SPEC, create_body, plan_for, run, want


class RacingApi(FakeDeploymentsApi):
    """Answers a create for ``name`` and, at the same moment, another apply's create of it lands."""

    def __init__(self, rival_created_at: str, ours_created_at: str = "2026-11-27T16:00:00.500000+00:00") -> None:
        super().__init__()
        self.rival_created_at = rival_created_at
        self.ours_created_at = ours_created_at

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        response = super()._create(body)
        ours = self.records[response.json()["id"]]
        ours["created_at"] = self.ours_created_at
        rival = {**ours, "id": "rival-1", "created_at": self.rival_created_at}
        self.records["rival-1"] = rival
        return httpx.Response(201, json=self._view(ours))


def test_the_later_create_backs_off_deleting_only_its_own_deployment() -> None:
    fake = RacingApi(rival_created_at="2026-11-27T16:00:00.100000+00:00")
    report = run(plan_for([want("t2i")], fake), fake)
    assert fake.calls == [("POST", DEPLOYMENTS, create_body("t2i")), LIST, ("DELETE", f"{DEPLOYMENTS}/new-1", None)]
    assert sorted(fake.records) == ["rival-1"]
    (change,) = report.changes
    assert change.id == "rival-1"
    assert change.message == "conflict: another apply created t2i first; kept rival-1"
    assert not report.failed  # the rival holds the same settings: the read-back passes


def test_the_earlier_create_stays_and_deletes_nothing() -> None:
    fake = RacingApi(rival_created_at="2026-11-27T16:00:00.900000+00:00")
    report = run(plan_for([want("t2i")], fake), fake)
    assert fake.calls == [("POST", DEPLOYMENTS, create_body("t2i")), LIST]
    assert report.changes[0].id == "new-1" and report.changes[0].message == ""


def test_a_tie_on_created_at_keeps_the_lowest_id() -> None:
    fake = RacingApi(rival_created_at="2026-11-27T16:00:00.500000+00:00")
    report = run(plan_for([want("t2i")], fake), fake)
    assert report.changes[0].id == "new-1"  # "new-1" < "rival-1"
    assert [c[0] for c in fake.calls] == ["POST", "GET"]


def test_a_rival_with_other_settings_fails_the_read_back() -> None:
    fake = RacingApi(rival_created_at="2026-11-27T16:00:00.100000+00:00")
    plan = plan_for([want("t2i", max_instances=SPEC["max_instances"])], fake)
    original = fake._create

    def create(body: dict[str, Any]) -> httpx.Response:
        response = original(body)
        fake.records["rival-1"]["max_instances"] = 7
        return response

    fake._create = create  # type: ignore[method-assign]
    report = run(plan, fake)
    assert report.changes[0].id == "rival-1"
    assert report.readback_problems == ["t2i: max_instances is 7 after apply, expected the planned value"]
