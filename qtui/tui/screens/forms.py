"""The edit form of each kind of item: survey, page, block (all nine types), variable, rule."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Checkbox, Input, Select, Static

from qtui.core import validation
from qtui.core.validation import Errors
from qtui.tui.safe import plain
from qtui.tui.screens.edit_form import EditForm
from qtui.tui.widgets.expression_editor import ExpressionEditor
from qtui.tui.widgets.survey_text_fields import SurveyTextArea, SurveyTextInput

DISPOSITIONS = [
    ("— not an end page —", ""),
    ("complete", "complete"),
    ("terminate (screen-out)", "terminate"),
    ("screenout", "screenout"),
    ("over quota", "over_quota"),
]


class SurveyForm(EditForm):
    entity = "survey"
    noun = "survey"

    def fields(self) -> ComposeResult:
        name = (self.item or {}).get("name", "")
        yield from self.field("name", "Name", SurveyTextInput(name, id="f-name"))

    def values(self) -> dict[str, Any]:
        return {"name": self.query_one("#f-name", Input).value.strip()}

    def check(self, values: dict[str, Any]) -> Errors:
        return validation.check_survey(values)


class PageForm(EditForm):
    entity = "page"
    noun = "page"

    def __init__(self, *args: Any, order: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new_order = order

    def fields(self) -> ComposeResult:
        item = self.item or {}
        yield from self.field("name", "Name", SurveyTextInput(item.get("name", ""), id="f-name"))
        status = item.get("assign_response_status") or ""
        options = list(DISPOSITIONS)
        if status and status not in {v for _, v in options}:
            options.append((status, status))
        yield from self.field(
            "assign_response_status",
            "Closing disposition (an end page closes the response with it)",
            Select(options, value=status, allow_blank=False, id="f-disposition"),
        )
        order = item.get("order", self.new_order if self.new_order is not None else 0)
        yield from self.field(
            "order",
            "Order (list position only; routes follow navigation rules)",
            Input(str(order), id="f-order", restrict=r"[0-9]*"),
        )

    def values(self) -> dict[str, Any]:
        status = self.query_one("#f-disposition", Select).value
        order = self.query_one("#f-order", Input).value.strip()
        return {
            "name": self.query_one("#f-name", Input).value.strip(),
            "assign_response_status": status if isinstance(status, str) and status else None,
            "order": int(order) if order.isdigit() else None,
        }

    def check(self, values: dict[str, Any]) -> Errors:
        return validation.check_page(values, self.survey, (self.item or {}).get("id"))


class VariableForm(EditForm):
    entity = "variable"
    noun = "variable"

    def fields(self) -> ComposeResult:
        item = self.item or {}
        yield from self.field("name", "Name", SurveyTextInput(item.get("name", ""), id="f-name"))
        self.expression = ExpressionEditor(
            item.get("expression"),
            survey=lambda: self.survey,
            preview=lambda text: (
                f"= {validation.describe_condition(text, self.survey)}" if text.strip() else ""
            ),
            placeholder="e.g. q1.value == '1'",
            field_id="f-expression",
            disabled=bool(self.locked),
        )
        yield from self.field("expression", "Expression", self.expression)

    def values(self) -> dict[str, Any]:
        expression = self.expression.value.strip()
        return {
            "name": self.query_one("#f-name", Input).value.strip(),
            "expression": expression or None,
        }

    def check(self, values: dict[str, Any]) -> Errors:
        return validation.check_variable(values, self.survey, (self.item or {}).get("id"))


class RuleForm(EditForm):
    entity = "navigation_rule"
    noun = "navigation rule"

    def __init__(self, *args: Any, order: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A new rule goes where it was asked for (after the selected rule, or after the
        # page's last): order 0 would put it first, ahead of rules that route today.
        self.new_order = order

    def _pages(self) -> list[tuple[str, str]]:
        if self.survey is None:
            return []
        out = []
        for number, page in enumerate(self.survey.ordered_pages(), start=1):
            end = f"  [{page.assign_response_status}]" if page.ends_survey else ""
            out.append((f"{number}. {page.name or page.id}{end}", page.id))
        return out

    def _default_order(self) -> int:
        if self.new_order is not None:
            return self.new_order
        page = self.survey.page(self.parent_id) if self.survey and self.parent_id else None
        rules = page.navigation_rules if page is not None else []
        return max((rule.order for rule in rules), default=-1) + 1

    def _page_name(self, page_id: Any) -> str:
        page = self.survey.page(page_id) if self.survey and isinstance(page_id, str) else None
        return page.name if page is not None else "?"

    def fields(self) -> ComposeResult:
        item = self.item or {}
        pages = self._pages()
        source = item.get("source_page_id") or self.parent_id
        target = item.get("target_page_id")
        yield from self.field(
            "source_page_id",
            "From page",
            Select(pages, value=source or Select.NULL, allow_blank=source is None, id="f-source"),
        )
        yield from self.field(
            "target_page_id",
            "To page (type to search)",
            Select(
                pages,
                value=target if target else Select.NULL,
                prompt="pick the page the rule leads to",
                id="f-target",
            ),
        )
        yield from self.field(
            "order",
            "Order among the page's rules (0 first)",
            Input(str(item.get("order", self._default_order())), id="f-order", restrict=r"[0-9]*"),
        )
        self.condition = ExpressionEditor(
            item.get("condition"),
            survey=lambda: self.survey,
            preview=self._preview,
            field_id="f-condition",
            disabled=bool(self.locked),
        )
        yield from self.field("condition", "Condition (empty: always)", self.condition)

    def _preview(self, text: str) -> str:
        target = self.query("#f-target")
        value = target.first().value if target else (self.item or {}).get("target_page_id")  # type: ignore[attr-defined]
        return validation.rule_preview(self._page_name(value), text, self.survey)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-target":
            self.condition.check(self.condition.value)

    def values(self) -> dict[str, Any]:
        source = self.query_one("#f-source", Select).value
        target = self.query_one("#f-target", Select).value
        order = self.query_one("#f-order", Input).value.strip()
        condition = self.condition.value.strip()
        return {
            "source_page_id": source if isinstance(source, str) else None,
            "target_page_id": target if isinstance(target, str) else None,
            "order": int(order) if order.isdigit() else 0,
            "condition": condition or None,
        }

    def build_edit(self, values: dict[str, Any]) -> Any:
        if self.item is None:
            values = {k: v for k, v in values.items() if k != "source_page_id"}
            self.parent_id = self.query_one("#f-source", Select).value  # type: ignore[assignment]
        return super().build_edit(values)

    def check(self, values: dict[str, Any]) -> Errors:
        errors = validation.check_rule(values, self.survey)
        if not values.get("source_page_id"):
            errors["source_page_id"] = "pick the page the rule leaves from"
        return errors


# --- blocks ------------------------------------------------------------------------------

# type -> the fields its form shows, after the common ones: (config key, kind, label)
TYPE_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "Text": [("content", "area", "Content (markdown)")],
    "TextInput": [
        ("placeholder", "text", "Placeholder"),
        ("multiline", "bool", "Multi-line answer"),
        ("maxLength", "int", "Maximum length (empty: no limit)"),
    ],
    "MultipleChoice": [
        ("choices", "choices", "Choices"),
        ("allowMultiple", "bool", "Allow several answers"),
    ],
    "Matrix": [
        ("rows", "choices", "Rows"),
        ("columns", "choices", "Columns"),
        ("allowMultiple", "bool", "Allow several answers per row"),
    ],
    "InputList": [("inputs", "choices", "Inputs")],
    "CardSort": [("cards", "choices", "Cards"), ("categories", "choices", "Categories")],
    "RankOrder": [("items", "choices", "Items")],
    "Autosum": [("items", "choices", "Items"), ("target", "float", "Total they must add up to")],
    "Loop": [
        ("variable", "text", "Loop over (a variable or expression)"),
        ("blocks", "list", "Looped blocks (ids, comma-separated)"),
    ],
}
BLOCK_TYPES = list(TYPE_FIELDS)
CHOICES_HINT = "one per line: value = label · ctrl+↑/↓ or alt+↑/↓ moves a line"


class ChoicesArea(SurveyTextArea):
    """A list of choices, one `value = label` per line: type to add, delete a line to remove."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+up,alt+up", "move_line(-1)", "Move up", show=False),
        Binding("ctrl+down,alt+down", "move_line(1)", "Move down", show=False),
    ]

    def action_move_line(self, delta: int) -> None:
        lines = self.text.split("\n")
        row, column = self.cursor_location
        other = row + delta
        if not 0 <= other < len(lines):
            return
        lines[row], lines[other] = lines[other], lines[row]
        self.text = "\n".join(lines)
        self.move_cursor((other, column))


def choices_text(items: list[Any]) -> str:
    lines = []
    for choice in items:
        value, label = choice.value, choice.label
        lines.append(value if label == value else f"{value} = {label}")
    return "\n".join(lines)


def parse_choices(text: str, old: list[Any]) -> list[dict[str, Any]]:
    """Lines back to choices; a value that was there keeps its other fields."""
    kept = {c.value: c.dump() for c in old}
    out = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        value, sep, label = line.partition("=")
        value = value.strip()
        label = label.strip() if sep else value
        out.append({**kept.get(value, {}), "value": value, "label": label})
    return out


class BlockForm(EditForm):
    entity = "block"
    noun = "block"

    def __init__(
        self, *args: Any, block_type: str | None = None, order: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        config = (self.item or {}).get("config") or {}
        self.block_type = block_type or config.get("type") or "MultipleChoice"
        self.noun = f"{self.block_type} block"
        self.new_order = order
        self._old_config = config

    def _config_obj(self) -> Any:
        from pydantic import TypeAdapter

        from qtui.core.models import BlockConfig

        try:
            return TypeAdapter(BlockConfig).validate_python(
                {**self._old_config, "type": self.block_type}
            )
        except Exception:  # noqa: BLE001 - a broken config still opens, with defaults
            return TypeAdapter(BlockConfig).validate_python({"type": self.block_type})

    def fields(self) -> ComposeResult:
        config = self._config_obj()
        ref = ""
        if self.item and self.survey is not None:
            from qtui.core.models import reference_names

            ref = reference_names(self.survey).get(self.item["id"], "")
        yield Static(
            plain(f"{self.block_type}" + (f" · answers read as {ref}" if ref else "")),
            classes="form-type",
        )
        yield from self.field(
            "name",
            "Reference name (empty: numbered q1, q2… in survey order)",
            SurveyTextInput(config.name or "", id="f-name", placeholder=ref or "q…"),
        )
        if self.block_type != "Text":
            yield from self.field(
                "label", "Label", SurveyTextInput(config.label or "", id="f-label")
            )
        if config.is_question:
            required = bool((self._old_config or {}).get("required", False))
            yield from self.field(
                "required",
                "Answer",
                Checkbox("Required (force a response)", required, id="f-required"),
            )
        for key, kind, label in TYPE_FIELDS.get(self.block_type, []):
            value = getattr(config, key, None)
            widget: Any
            hint = ""
            if kind == "area":
                widget = SurveyTextArea(value or "", id=f"f-{key}", soft_wrap=True)
            elif kind == "bool":
                widget = Checkbox(label, bool(value), id=f"f-{key}")
            elif kind == "choices":
                widget = ChoicesArea(choices_text(value or []), id=f"f-{key}")
                widget.add_class("choices")
                hint = CHOICES_HINT
            elif kind == "list":
                widget = SurveyTextInput(", ".join(value or []), id=f"f-{key}")
            elif kind in ("int", "float"):
                shown = (
                    ""
                    if value is None
                    else (str(int(value)) if float(value).is_integer() else str(value))
                )
                widget = Input(shown, id=f"f-{key}", restrict=r"[0-9.]*")
            else:
                widget = SurveyTextInput(value or "", id=f"f-{key}")
            yield from self.field(key, label, widget, hint)
        self.show_if = ExpressionEditor(
            config.showIf,
            survey=lambda: self.survey,
            preview=lambda text: (
                f"shown when {validation.describe_condition(text, self.survey)}"
                if text.strip()
                else "always shown"
            ),
            placeholder="empty: always shown",
            field_id="f-showIf",
            disabled=bool(self.locked),
        )
        yield from self.field("showIf", "Show if", self.show_if)

    def config(self) -> dict[str, Any]:
        config = dict(self._old_config)
        config["type"] = self.block_type

        def put(key: str, value: Any) -> None:
            if value is None or value == "":
                config.pop(key, None)
            else:
                config[key] = value

        put("name", self.query_one("#f-name", Input).value.strip() or None)
        if self.block_type != "Text":
            put("label", self.query_one("#f-label", Input).value.strip() or None)
        if self.query("#f-required"):
            required = self.query_one("#f-required", Checkbox).value
            if required or "required" in config:
                config["required"] = required
        old = self._config_obj()
        for key, kind, _ in TYPE_FIELDS.get(self.block_type, []):
            widget = self.query_one(f"#f-{key}")
            if kind == "area":
                config[key] = widget.text  # type: ignore[attr-defined]
            elif kind == "bool":
                config[key] = widget.value  # type: ignore[attr-defined]
            elif kind == "choices":
                config[key] = parse_choices(widget.text, getattr(old, key, []) or [])  # type: ignore[attr-defined]
            elif kind == "list":
                text = widget.value  # type: ignore[attr-defined]
                config[key] = [part.strip() for part in text.split(",") if part.strip()]
            elif kind in ("int", "float"):
                text = widget.value.strip()  # type: ignore[attr-defined]
                try:
                    number: Any = int(text) if kind == "int" else float(text)
                except ValueError:
                    number = text or None  # the model check names it
                put(key, number)
            else:
                put(key, widget.value.strip() or None)  # type: ignore[attr-defined]
        put("showIf", self.show_if.value.strip() or None)
        return config

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"config": self.config()}
        if self.item is None and self.new_order is not None:
            values["order"] = self.new_order
        return values

    def check(self, values: dict[str, Any]) -> Errors:
        errors = validation.check_block(values["config"], self.survey, (self.item or {}).get("id"))
        return {self._as_typed(name): message for name, message in errors.items()}

    def _as_typed(self, name: str) -> str:
        """`choices.2.value` (the third choice) → the line it was typed on, blank lines counted."""
        key, _, rest = name.partition(".")
        index, dot, field = rest.partition(".")
        kinds = {k: kind for k, kind, _ in TYPE_FIELDS.get(self.block_type, [])}
        if kinds.get(key) != "choices" or not index.isdigit():
            return name
        typed = [
            row
            for row, line in enumerate(self.query_one(f"#f-{key}", SurveyTextArea).text.split("\n"))
            if line.strip()
        ]
        row = typed[int(index)] if int(index) < len(typed) else int(index)
        return f"{key}.{row}{dot}{field}"
