"""A Qualtrics v3 emulator (survey definitions, publishing, survey-taking sessions).

`QualtricsSandbox().app` is a Starlette app with routes relative to `/API/v3`; mount it there.
"""

from qtui.sandbox.qualtrics.app import QualtricsSandbox

__all__ = ["QualtricsSandbox"]
