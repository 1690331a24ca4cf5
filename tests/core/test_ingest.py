"""`ingesting()` changes the collector's settings only while it runs, even when nested."""

from __future__ import annotations

import gc

from qtui.core.ingest import SNAPSHOT_GEN0_THRESHOLD, ingesting


def test_thresholds_are_raised_inside_and_restored_after_the_outermost() -> None:
    before = gc.get_threshold()
    with ingesting(10_000):
        assert gc.get_threshold()[0] == max(10_000, before[0])
        with ingesting(SNAPSHOT_GEN0_THRESHOLD):
            assert gc.get_threshold()[0] == SNAPSHOT_GEN0_THRESHOLD
        assert gc.get_threshold()[0] == SNAPSHOT_GEN0_THRESHOLD  # an inner exit keeps it
    assert gc.get_threshold() == before


def test_an_error_inside_still_restores_the_settings() -> None:
    before = gc.get_threshold()
    try:
        with ingesting():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_threshold() == before
