"""Apply's choices are one frozen value, and whether a person confirms is the use case's decision."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.model import SettingsSpec
from reconciler.session.apply import ApplyOptions, needs_confirmation
from reconciler.session.planning import Planned

NOTHING = DesiredState(deployments=(), presets={}, settings=SettingsSpec(), files=())
CHANGED = Planned(plan=Plan(changes=[ResourceChange(name="a", action=Action.CREATE, after={})]),
                  desired=NOTHING, live=[], client=None)
EMPTY = Planned(plan=Plan(), desired=NOTHING, live=[], client=None)


@pytest.mark.parametrize(("planned", "saved", "auto_approve", "asks"), [
    (CHANGED, False, False, True),   # a new plan with changes: a person confirms it
    (CHANGED, False, True, False),   # --auto-approve
    (CHANGED, True, False, False),   # a saved plan was reviewed and approved when it was made
    (EMPTY, False, False, False),    # nothing to confirm
])
def test_who_confirms(planned: Planned, saved: bool, auto_approve: bool, asks: bool) -> None:
    assert CHANGED.plan.is_empty is False and EMPTY.plan.is_empty is True
    assert needs_confirmation(planned, saved=saved, auto_approve=auto_approve) is asks


def test_apply_options_are_one_frozen_value() -> None:
    options = ApplyOptions(smoke=True, rollback_on_smoke_failure=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.smoke = False  # type: ignore[misc]
    assert (options.fail_fast, options.keep_outputs, options.journal_path) == (False, False, None)
