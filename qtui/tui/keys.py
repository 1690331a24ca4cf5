"""Every key qtui answers to, in one table.

The app's bindings, the help screen and the command palette are all generated from `KEYS`,
so they can never disagree. Each entry has a stable id (`qtui.pause`, …) that users remap
in the config file (`[keymap] "qtui.pause" = "f8"`), applied with `App.set_keymap`.

Keys are chosen to survive tmux, screen and SSH: no action's only key is ctrl+s, ctrl+a,
ctrl+b, ctrl+j or a modifier+enter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    keys: str  # comma-separated Textual key names, first one is shown
    action: str  # an action of the app
    title: str  # short, for the footer and the palette
    help: str  # one line, for the help screen and the palette
    group: str = "View"
    footer: bool = True
    palette: bool = True
    priority: bool = False


KEYS: tuple[Key, ...] = (
    Key(
        "qtui.help",
        "question_mark,f1",
        "help",
        "Help",
        "Show help for the focused panel and every key",
        "General",
    ),
    Key(
        "qtui.palette",
        "colon,ctrl+p",
        "command_palette",
        "Commands",
        "Open the command palette",
        "General",
        footer=False,
        palette=False,
    ),
    Key("qtui.quit", "q", "quit", "Quit", "Quit qtui", "General"),
    Key(
        "qtui.filter",
        "slash",
        "filter",
        "Filter",
        "Filter the tree by name, label or reference name (esc clears)",
        "Navigate",
    ),
    Key(
        "qtui.jump",
        "g",
        "jump",
        "Go to page",
        "Jump to a page from a list (type to filter)",
        "Navigate",
    ),
    Key(
        "qtui.expand",
        "o",
        "expand_all",
        "Expand all",
        "Expand or collapse every page",
        "Navigate",
        footer=False,
    ),
    Key(
        "qtui.detail",
        "d",
        "toggle_detail",
        "Detail",
        "Show or hide the detail panel",
        "View",
        footer=False,
    ),
    Key("qtui.log", "e", "toggle_log", "Events", "Show or hide the event log", "View"),
    Key(
        "qtui.copy",
        "c",
        "copy",
        "Copy",
        "Copy the selected item's JSON to the clipboard (OSC 52)",
        "Item",
    ),
    Key(
        "qtui.save",
        "s",
        "save",
        "Save",
        "Save the selected item's JSON to a file in the current directory",
        "Item",
        footer=False,
    ),
    Key(
        "qtui.pause",
        "p",
        "pause",
        "Pause",
        "Pause or resume live updates of the view (events are still received)",
        "Live",
    ),
    Key(
        "qtui.problems",
        "x",
        "problems",
        "Problems",
        "List the survey's routing and logic problems; enter goes to one",
        "Survey",
    ),
    Key(
        "qtui.qa",
        "Q",
        "qa",
        "QA walk",
        "Take the survey last pushed to Qualtrics by hand, its route checked as you go",
        "Survey",
        footer=False,
    ),
    Key(
        "qtui.fieldwork",
        "F",
        "fieldwork",
        "Fieldwork",
        "Fieldwork: starts, completes, screen-outs, pages, routes and incidents, live",
        "Survey",
        footer=False,
    ),
    Key(
        "qtui.play", "space", "play_pause", "Play", "Replay: play or pause", "Replay", priority=True
    ),
    Key("qtui.step", "n,right", "step", "Step", "Replay: apply the next event", "Replay"),
    Key(
        "qtui.faster",
        "plus,equals_sign",
        "faster",
        "Faster",
        "Replay: double the speed",
        "Replay",
        footer=False,
    ),
    Key(
        "qtui.slower",
        "minus",
        "slower",
        "Slower",
        "Replay: halve the speed",
        "Replay",
        footer=False,
    ),
)

# Editing and pushing (qtui/tui/edit_actions.py, qtui/tui/screens/push.py).
KEYS += (
    Key(
        "qtui.edit",
        "E",
        "edit",
        "Edit",
        "Edit the selected item (enter on a block, rule or variable)",
        "Edit",
    ),
    Key(
        "qtui.add",
        "a",
        "add",
        "Add",
        "Add a page, block, rule or variable after the selection",
        "Edit",
        footer=False,
    ),
    Key(
        "qtui.delete",
        "D",
        "delete",
        "Delete",
        "Delete the selected item (asks first)",
        "Edit",
        footer=False,
    ),
    Key(
        "qtui.move_up",
        "K",
        "move_up",
        "Move up",
        "Move the selected page, block or rule up",
        "Edit",
        footer=False,
    ),
    Key(
        "qtui.move_down",
        "J",
        "move_down",
        "Move down",
        "Move the selected page, block or rule down",
        "Edit",
        footer=False,
    ),
    Key(
        "qtui.move_to_page",
        "M",
        "move_to_page",
        "Move to page",
        "Move the selected block to another page (type to filter)",
        "Edit",
        footer=False,
    ),
    Key("qtui.undo", "u", "undo", "Undo", "Undo the last edit (sent as an ordinary edit)", "Edit"),
    Key("qtui.redo", "U", "redo", "Redo", "Redo the last undone edit", "Edit", footer=False),
    Key(
        "qtui.write",
        "w",
        "write_file",
        "Write file",
        "Save the opened survey file (qtui open; keeps FILE.bak)",
        "Edit",
        footer=False,
    ),
    Key(
        "qtui.drafts",
        "f6",
        "send_drafts",
        "Send drafts",
        "Send the edits kept as drafts after a network failure",
        "Edit",
        footer=False,
    ),
    Key(
        "qtui.push",
        "P",
        "push",
        "Push",
        "Push the survey to Qualtrics: plan, issues, progress, result",
        "Survey",
    ),
)

KEYS_BY_ID: dict[str, Key] = {key.id: key for key in KEYS}
# The actions every screen keeps; the rest act on the tree and wait for it.
GLOBAL_ACTIONS: frozenset[str] = frozenset({"help", "quit", "command_palette"})
KEYS_BY_ACTION: dict[str, Key] = {key.action: key for key in KEYS}


def bindings() -> list[Binding]:
    """The app's bindings, ids included, from the table."""
    return [
        Binding(
            key.keys,
            key.action,
            key.title,
            show=key.footer,
            key_display=None,
            priority=key.priority,
            id=key.id,
            tooltip=key.help,
        )
        for key in KEYS
    ]


_DISPLAY = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "space": "space",
    "right": "→",
    "left": "←",
    "escape": "esc",
}


def display(keys: str) -> str:
    """`question_mark,f1` → `? f1`."""
    return " ".join(_DISPLAY.get(k.strip(), k.strip()) for k in keys.split(",") if k.strip())


def keys_for(key: Key, keymap: Mapping[str, str]) -> str:
    """The keys bound to `key` once the user's keymap is applied."""
    return keymap.get(key.id, key.keys)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Keymap ids that name no binding (a typo in the config file)."""
    return [binding_id for binding_id in keymap if binding_id not in KEYS_BY_ID]


def _normal(key: str) -> str:
    """One spelling per key: `?` and `question_mark`, `Ctrl+P` and `ctrl+p` are the same."""
    from textual.keys import _character_to_key

    key = key.strip()
    return _character_to_key(key) if len(key) == 1 else key.lower()


def conflicts(keymap: Mapping[str, str]) -> dict[str, str]:
    """Remaps that would take a key another action uses: `{id: message naming both}`.

    Such a remap is refused (the action keeps its default keys), so no key ever silently
    stops doing what the help says it does.
    """
    owner: dict[str, str] = {}
    for key in KEYS:  # the keys every action keeps: defaults, or remaps checked below
        if key.id not in keymap:
            for name in key.keys.split(","):
                if name.strip():
                    owner[_normal(name)] = key.id
    refused: dict[str, str] = {}
    for binding_id, wanted in keymap.items():
        mine = KEYS_BY_ID.get(binding_id)
        if mine is None:
            continue
        for name in wanted.split(","):
            if not name.strip():
                continue
            other = owner.get(_normal(name))
            if other is not None and other != binding_id:
                theirs = KEYS_BY_ID[other]
                refused[binding_id] = (
                    f"{display(name)!r} for {binding_id} ({mine.title}) is already "
                    f"{other}'s ({theirs.title}); pick another key"
                )
                break
        else:
            for name in wanted.split(","):
                if name.strip():
                    owner[_normal(name)] = binding_id
    return refused
