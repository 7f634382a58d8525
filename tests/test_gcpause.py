"""The collector pause the planning shells use; the pure planner leaves process state alone."""

from __future__ import annotations

import gc

import pytest

from reconciler.model import DesiredState
from reconciler.planning.gcpause import collector_paused
from reconciler.planning.planner import build_plan


def test_the_collector_is_off_inside_and_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_planner_does_not_touch_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    switched: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: switched.append("disable"))
    build_plan(DesiredState((), ()), ())
    assert switched == []
