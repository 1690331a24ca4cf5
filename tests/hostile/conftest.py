"""The hostile suite reuses the relay fixtures: a real relay on loopback and a signing sender."""

from tests.relay.conftest import db_path, event_log, relay, run_relay  # noqa: F401
