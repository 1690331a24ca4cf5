"""qtui: a keyboard-driven terminal app to program, push and QA market-research surveys."""

__version__ = "0.1.0"
