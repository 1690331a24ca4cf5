"""Oktave: webhook signing and the envelope it sends (see docs/fieldwork.md)."""
