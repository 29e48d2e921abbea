"""DEPLOYMENT by id or name, and the API label that keeps emulator and RunComfy histories apart."""

from __future__ import annotations

import pytest

from reconciler.cli.output import Output
from reconciler.errors import ReconcilerError
from reconciler.runcomfy.wire import Deployment
from reconciler.session.lookup import find_deployment
from reconciler.session.recording import api_label
from reconciler.session.session import Session

LIVE = [Deployment(id="id-1", name="t2i"), Deployment(id="id-2", name="video"), Deployment(id="id-3", name="video")]


def test_by_id_then_by_name() -> None:
    assert find_deployment(LIVE, "id-2").id == "id-2"
    assert find_deployment(LIVE, "t2i").id == "id-1"


def test_a_shared_name_asks_for_an_id() -> None:
    with pytest.raises(ReconcilerError) as caught:
        find_deployment(LIVE, "video")
    assert caught.value.summary == "2 live deployments are named 'video'"
    assert caught.value.detail == "Use an id instead: id-2, id-3."


def test_no_match_suggests_and_lists() -> None:
    with pytest.raises(ReconcilerError) as caught:
        find_deployment(LIVE, "vidoe")
    assert caught.value.summary == "no live deployment has the name or id 'vidoe'"
    assert caught.value.detail == "did you mean 'video'? live deployments: t2i, video"
    with pytest.raises(ReconcilerError, match="no live deployment") as empty:
        find_deployment([], "x")
    assert empty.value.detail == "there are no live deployments"


@pytest.mark.parametrize(("app", "label"), [
    (Session(out=Output(), emulator=True), "emulator"),
    (Session(out=Output()), "api.runcomfy.net"),
    (Session(out=Output(), api_url="http://127.0.0.1:8189"), "127.0.0.1:8189"),
    (Session(out=Output(), api_url="https://beta-api.runcomfy.net/"), "beta-api.runcomfy.net"),
])
def test_api_label(app: Session, label: str) -> None:
    assert api_label(app) == label
