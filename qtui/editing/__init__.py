"""Where edits go: Questra's REST API (`QuestraEditor`) or a local FullSurvey file (`SurveyFile`).

Plain async services without Textual; the TUI calls them from workers. Unsent edits are kept
as drafts (`DraftBox`) so a network failure never loses one.
"""

from qtui.editing.errors import EditConflict, EditRefused, EditUnsent

__all__ = ["EditConflict", "EditRefused", "EditUnsent"]
