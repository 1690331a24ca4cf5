"""Fieldwork from the relay: read a survey's responses, incidents and blacklist into figures."""
