"""The example events of Questra's webhook documentation, verbatim, in document order."""

from qtui.samples.generate import SEED_EVENTS

__all__ = ["SEED_EVENTS"]
