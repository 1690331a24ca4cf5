"""Identifiers in the shapes Qualtrics uses (`SV_` + 15 alphanumerics, `QID<n>`, `FL_<n>`…)."""

from __future__ import annotations

import random
import string
import uuid

_ALNUM = string.ascii_letters + string.digits


class IdMaker:
    """Makes ids from a seeded generator, so a sandbox driven the same way names things the same."""

    def __init__(self, seed: int | str = 0) -> None:
        self._rng = random.Random(seed)

    def _token(self, prefix: str, length: int = 15) -> str:
        return prefix + "".join(self._rng.choice(_ALNUM) for _ in range(length))

    def survey(self) -> str:
        return self._token("SV_")

    def block(self) -> str:
        return self._token("BL_")

    def session(self) -> str:
        return self._token("FS_")

    def response(self) -> str:
        return self._token("R_")

    def version(self) -> str:
        # Qualtrics version ids are long decimal strings (e.g. "9223370455272972495").
        return str(self._rng.randrange(9_000_000_000_000_000_000, 9_223_372_036_854_775_807))

    def request(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
