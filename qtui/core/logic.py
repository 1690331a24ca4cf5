"""The expression language of navigation conditions, ``showIf`` and variable expressions.

Questra evaluates these strings at survey runtime but publishes no grammar; its one example is
``q1.value == '1'``. This module defines the language qtui reads and writes: a tokenizer (also
used for syntax highlighting), a parser to an immutable AST, a canonical printer, and a total
evaluator — evaluation never raises on a missing answer or a type mismatch, because a condition
that crashes mid-survey is worse than one that is false. ``docs/expressions.md`` is the
reference for programmers; keep the two in step.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "BoolOp",
    "Call",
    "Compare",
    "Expr",
    "ExpressionError",
    "ListExpr",
    "Literal",
    "Membership",
    "Not",
    "Reference",
    "Token",
    "evaluate",
    "is_true",
    "parse",
    "parse_cached",
    "reference_roots",
    "references",
    "to_text",
    "tokenize",
    "walk",
]

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})

# name → number of arguments; checked at parse time so a typo is caught while editing.
FUNCTIONS: dict[str, int] = {
    "answered": 1,
    "contains": 2,
    "count": 1,
    "empty": 1,
    "len": 1,
    "sum": 1,
}

COMPARISON_OPERATORS = ("==", "!=", "<", "<=", ">", ">=")

# Deep enough for any hand-written condition, shallow enough to stay clear of Python's
# recursion limit (each nesting level costs several parser frames).
MAX_NESTING = 50


# ---------------------------------------------------------------------------------------------
# errors


class ExpressionError(ValueError):
    """A syntax error, pointing at a 1-based column of the expression text."""

    def __init__(self, reason: str, column: int, text: str) -> None:
        super().__init__(f"{reason} at column {column}")
        self.reason = reason
        self.column = column
        self.text = text

    def __reduce__(self):  # keep the three fields when sent across processes
        return (type(self), (self.reason, self.column, self.text))

    def caret(self) -> str:
        """The offending line with a ``^`` under the column, for monospaced display."""
        offset = max(self.column - 1, 0)
        line_start = self.text.rfind("\n", 0, offset) + 1
        line_end = self.text.find("\n", offset)
        line = self.text[line_start : line_end if line_end != -1 else len(self.text)]
        return f"{line}\n{' ' * (offset - line_start)}^"


# ---------------------------------------------------------------------------------------------
# AST

_COLUMN = field(default=0, compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class Literal:
    """A string, number, boolean or null written in the expression."""

    value: str | int | float | bool | None
    column: int = _COLUMN

    # True == 1 in Python; a literal `true` must not equal a literal `1`.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


@dataclass(frozen=True)
class Reference:
    """``name`` or ``name.member``: an answer, a variable, or a part of an answer."""

    name: str
    member: str | None = None
    column: int = _COLUMN


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Expr, ...]
    column: int = _COLUMN

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))


@dataclass(frozen=True)
class Compare:
    op: str
    left: Expr
    right: Expr
    column: int = _COLUMN

    def __post_init__(self) -> None:
        if self.op not in COMPARISON_OPERATORS:
            raise ValueError(f"unknown comparison operator {self.op!r}")


@dataclass(frozen=True)
class Membership:
    """``item in options`` or ``item not in options``."""

    item: Expr
    options: Expr
    negated: bool = False
    column: int = _COLUMN


@dataclass(frozen=True)
class BoolOp:
    op: str
    operands: tuple[Expr, ...]
    column: int = _COLUMN

    def __post_init__(self) -> None:
        object.__setattr__(self, "operands", tuple(self.operands))
        if self.op not in ("and", "or"):
            raise ValueError(f"BoolOp op must be 'and' or 'or', not {self.op!r}")
        if len(self.operands) < 2:
            raise ValueError("BoolOp needs at least two operands")


@dataclass(frozen=True)
class Not:
    operand: Expr
    column: int = _COLUMN


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    column: int = _COLUMN

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))


Expr = Literal | Reference | ListExpr | Compare | Membership | BoolOp | Not | Call


# ---------------------------------------------------------------------------------------------
# tokenizer


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit. ``kind`` is string, number, name, keyword, operator, punct or error."""

    kind: str
    text: str
    column: int  # 1-based offset of the first character

    @property
    def end(self) -> int:
        """Column just after the token."""
        return self.column + len(self.text)


_SCAN = re.compile(
    r"""
     (?P<ws>\s+)
    |(?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<bad_ne><>)
    |(?P<operator>==|!=|<=|>=|&&|\|\||[<>!-])
    |(?P<punct>[()\[\],.])
    """,
    re.VERBOSE,
)

_HINTS = {
    "=": "use '==' to compare",
    "&": "use 'and' or '&&'",
    "|": "use 'or' or '||'",
    "<>": "use '!=' to compare",
}


def tokenize(text: str, *, strict: bool = True) -> Iterator[Token]:
    """Split ``text`` into tokens, skipping whitespace.

    With ``strict=False`` (syntax highlighting of half-typed text) nothing is raised: an
    unterminated string or a stray character becomes a token of kind ``error``. Either way the
    tokens' texts sit in ``text`` at their columns and only whitespace lies between them.
    """
    pos = 0
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in "'\"":
            end = _string_end(text, pos)
            if end is None:
                if strict:
                    raise ExpressionError(f"unterminated string (missing {ch})", pos + 1, text)
                yield Token("error", text[pos:], pos + 1)
                return
            yield Token("string", text[pos:end], pos + 1)
            pos = end
            continue
        m = _SCAN.match(text, pos)
        kind = m.lastgroup if m else None
        if kind is None or kind == "bad_ne":
            bad = m.group() if m else ch
            if strict:
                reason = _HINTS.get(bad, f"unexpected character {bad!r}")
                raise ExpressionError(reason, pos + 1, text)
            yield Token("error", bad, pos + 1)
            pos += len(bad)
            continue
        assert m is not None
        word = m.group()
        if kind == "name" and word in KEYWORDS:
            kind = "keyword"
        if kind != "ws":
            yield Token(kind, word, pos + 1)
        pos = m.end()


def _string_end(text: str, start: int) -> int | None:
    """Index just past the closing quote of the string starting at ``start``, or None."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == quote:
            return i + 1
        else:
            i += 1
    return None


_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "0": "\0"}


def _decode_string(token: Token, source: str) -> str:
    body = token.text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        column = token.column + 1 + i
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in _ESCAPES and nxt:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            shown = "\\" + nxt if nxt != "u" else "\\u (needs 4 hex digits)"
            raise ExpressionError(f"unknown escape {shown}", column, source)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# parser


def parse(text: str) -> Expr:
    """Parse an expression; raise :class:`ExpressionError` with the column on bad syntax."""
    return _Parser(text).parse()


@functools.lru_cache(maxsize=4096)
def parse_cached(text: str) -> Expr:
    """:func:`parse`, memoised: the AST is immutable, so sharing it is safe."""
    return parse(text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.pos = 0
        self.depth = 0

    # token helpers -------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def at(self, kind: str, *texts: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind == kind and (not texts or tok.text in texts)

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def end_column(self) -> int:
        return len(self.text.rstrip()) + 1

    def error(self, reason: str, tok: Token | None = None) -> ExpressionError:
        if tok is None:
            tok = self.peek()
        if tok is None:
            return ExpressionError(
                f"{reason}, but the expression ended", self.end_column(), self.text
            )
        return ExpressionError(f"{reason}, found {tok.text!r}", tok.column, self.text)

    def expect(self, kind: str, text: str) -> Token:
        if not self.at(kind, text):
            raise self.error(f"expected {text!r}")
        return self.take()

    def nest(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError("expression nested too deeply", tok.column, self.text)

    # grammar -------------------------------------------------------------------------------

    def parse(self) -> Expr:
        if not self.tokens:
            raise ExpressionError("empty expression", 1, self.text)
        expr = self.or_expr()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "operator" and tok.text == "-":
                raise ExpressionError("arithmetic is not supported", tok.column, self.text)
            raise ExpressionError(
                f"expected an operator or the end, found {tok.text!r}", tok.column, self.text
            )
        return expr

    def or_expr(self) -> Expr:
        return self.bool_chain("or", "||", self.and_expr)

    def and_expr(self) -> Expr:
        return self.bool_chain("and", "&&", self.not_expr)

    def bool_chain(self, word: str, symbol: str, operand: Callable[[], Expr]) -> Expr:
        first = operand()
        operands = [first]
        column = 0
        while self.at("keyword", word) or self.at("operator", symbol):
            tok = self.take()
            column = column or tok.column
            operands.append(operand())
        if len(operands) == 1:
            return first
        return BoolOp(word, tuple(operands), column=column)

    def not_expr(self) -> Expr:
        if self.at("keyword", "not") or self.at("operator", "!"):
            tok = self.take()
            if self.at("keyword", "in"):
                raise self.error("expected a value after 'not'")
            self.nest(tok)
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand, column=tok.column)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.operand()
        node = self.comparison_tail(left)
        if node is not left and self.comparison_ahead():
            tok = self.peek()
            assert tok is not None
            raise ExpressionError(
                "comparisons cannot be chained; join them with 'and'", tok.column, self.text
            )
        return node

    def comparison_ahead(self) -> bool:
        return (
            self.at("operator", *COMPARISON_OPERATORS)
            or self.at("keyword", "in")
            or (self.at("keyword", "not") and self.at("keyword", "in", ahead=1))
        )

    def comparison_tail(self, left: Expr) -> Expr:
        if self.at("operator", *COMPARISON_OPERATORS):
            tok = self.take()
            return Compare(tok.text, left, self.operand(), column=tok.column)
        if self.at("keyword", "in"):
            tok = self.take()
            return Membership(left, self.operand(), False, column=tok.column)
        if self.at("keyword", "not") and self.at("keyword", "in", ahead=1):
            tok = self.take()
            self.take()
            return Membership(left, self.operand(), True, column=tok.column)
        return left

    def operand(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise self.error("expected a value")
        if tok.kind == "string":
            self.take()
            return Literal(_decode_string(tok, self.text), column=tok.column)
        if tok.kind == "number":
            self.take()
            return Literal(self.number(tok), column=tok.column)
        if tok.kind == "operator" and tok.text == "-":
            self.take()
            num = self.peek()
            if num is None or num.kind != "number":
                raise self.error("expected a number after '-'")
            self.take()
            return Literal(-self.number(num), column=tok.column)
        if tok.kind == "keyword" and tok.text in ("true", "false", "null"):
            self.take()
            value = {"true": True, "false": False, "null": None}[tok.text]
            return Literal(value, column=tok.column)
        if tok.kind == "punct" and tok.text == "(":
            self.take()
            self.nest(tok)
            inner = self.or_expr()
            self.depth -= 1
            self.expect("punct", ")")
            return inner
        if tok.kind == "punct" and tok.text == "[":
            return self.list_literal()
        if tok.kind == "name":
            if self.at("punct", "(", ahead=1):
                return self.call()
            return self.reference()
        raise self.error("expected a value")

    def number(self, tok: Token) -> int | float:
        if any(c in tok.text for c in ".eE"):
            return float(tok.text)
        try:
            return int(tok.text)
        except ValueError:  # beyond int()'s digit limit
            raise ExpressionError("number too long", tok.column, self.text) from None

    def list_literal(self) -> ListExpr:
        open_tok = self.take()
        self.nest(open_tok)
        items: list[Expr] = []
        while not self.at("punct", "]"):
            items.append(self.or_expr())
            if self.at("punct", ","):
                self.take()
            elif not self.at("punct", "]"):
                raise self.error("expected ',' or ']'")
        self.take()
        self.depth -= 1
        return ListExpr(tuple(items), column=open_tok.column)

    def call(self) -> Call:
        name_tok = self.take()
        self.take()  # "("
        self.nest(name_tok)
        if name_tok.text not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(
                f"unknown function {name_tok.text!r} (known: {known})", name_tok.column, self.text
            )
        args: list[Expr] = []
        while not self.at("punct", ")"):
            args.append(self.or_expr())
            if self.at("punct", ","):
                self.take()
            elif not self.at("punct", ")"):
                raise self.error("expected ',' or ')'")
        self.take()
        self.depth -= 1
        arity = FUNCTIONS[name_tok.text]
        if len(args) != arity:
            noun = "argument" if arity == 1 else "arguments"
            raise ExpressionError(
                f"{name_tok.text}() takes {arity} {noun}, got {len(args)}",
                name_tok.column,
                self.text,
            )
        return Call(name_tok.text, tuple(args), column=name_tok.column)

    def reference(self) -> Reference:
        name_tok = self.take()
        member: str | None = None
        if self.at("punct", "."):
            self.take()
            tok = self.peek()
            if tok is not None and tok.kind in ("name", "keyword"):
                member = self.take().text
            elif tok is not None and tok.kind == "number" and tok.text.isdigit():
                member = self.take().text
            else:
                raise self.error("expected a member name after '.'")
        elif self.at("punct", "["):
            self.take()
            tok = self.peek()
            if tok is not None and tok.kind == "string":
                member = _decode_string(self.take(), self.text)
            elif tok is not None and tok.kind == "number" and tok.text.isdigit():
                member = self.take().text
            else:
                raise self.error("expected a quoted member name after '['")
            self.expect("punct", "]")
        if member is not None and (self.at("punct", ".") or self.at("punct", "[")):
            tok = self.peek()
            assert tok is not None
            raise ExpressionError(
                "a reference takes one member; use contains() for a part of it",
                tok.column,
                self.text,
            )
        return Reference(name_tok.text, member, column=name_tok.column)


# ---------------------------------------------------------------------------------------------
# printer

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = re.compile(r"[0-9]+")

# binding strength; an operand printed inside an operator needs parentheses below the minimum
_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_COMPARE, _PREC_ATOM = 1, 2, 3, 4, 5


def to_text(expr: Expr) -> str:
    """Canonical text: ``parse(to_text(e)) == e`` for every well-formed tree."""
    return _fmt(expr, 0)


def _precedence(expr: Expr) -> int:
    if isinstance(expr, BoolOp):
        return _PREC_OR if expr.op == "or" else _PREC_AND
    if isinstance(expr, Not):
        return _PREC_NOT
    if isinstance(expr, Compare | Membership):
        return _PREC_COMPARE
    return _PREC_ATOM


def _fmt(expr: Expr, minimum: int) -> str:
    text = _fmt_bare(expr)
    return f"({text})" if _precedence(expr) < minimum else text


def _fmt_bare(expr: Expr) -> str:
    match expr:
        case Literal(value=value):
            return _fmt_literal(value)
        case Reference(name=name, member=None):
            return name
        case Reference(name=name, member=member):
            assert member is not None
            if _IDENT.fullmatch(member) or _DIGITS.fullmatch(member):
                return f"{name}.{member}"
            return f"{name}[{_quote(member)}]"
        case ListExpr(items=items):
            return "[" + ", ".join(_fmt(i, 0) for i in items) + "]"
        case Call(name=name, args=args):
            return f"{name}(" + ", ".join(_fmt(a, 0) for a in args) + ")"
        case Compare(op=op, left=left, right=right):
            return f"{_fmt(left, _PREC_ATOM)} {op} {_fmt(right, _PREC_ATOM)}"
        case Membership(item=item, options=options, negated=negated):
            word = "not in" if negated else "in"
            return f"{_fmt(item, _PREC_ATOM)} {word} {_fmt(options, _PREC_ATOM)}"
        case BoolOp(op=op, operands=operands):
            # a nested BoolOp of the same kind keeps its parentheses: the parser flattens
            # only what is written without them, so the tree shape survives a round trip
            inner = _precedence(expr) + 1
            return f" {op} ".join(_fmt(o, inner) for o in operands)
        case Not(operand=operand):
            return f"not {_fmt(operand, _PREC_NOT)}"
    raise TypeError(f"not an expression node: {expr!r}")


def _fmt_literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("NaN has no literal form")
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"a literal cannot hold {type(value).__name__}")


_QUOTE_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _quote(text: str) -> str:
    out = []
    for c in text:
        if c in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "'" + "".join(out) + "'"


# ---------------------------------------------------------------------------------------------
# traversal


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node, pre-order, in source order."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        match node:
            case ListExpr(items=children) | BoolOp(operands=children) | Call(args=children):
                stack.extend(reversed(children))
            case Compare(left=left, right=right):
                stack.extend((right, left))
            case Membership(item=item, options=options):
                stack.extend((options, item))
            case Not(operand=operand):
                stack.append(operand)


def references(expr: Expr) -> list[Reference]:
    """The references read, in source order, each (name, member) once."""
    seen: set[Reference] = set()
    out: list[Reference] = []
    for node in walk(expr):
        if isinstance(node, Reference) and node not in seen:
            seen.add(node)
            out.append(node)
    return out


def reference_roots(expr: Expr) -> set[str]:
    """The names read: answers or variables."""
    return {r.name for r in references(expr)}


# ---------------------------------------------------------------------------------------------
# evaluation


def evaluate(expr: Expr | str, answers: Mapping[str, object] | None) -> object:
    """The value of ``expr`` given answers (reference or variable name → value).

    Never raises for a missing answer or an answer of an unexpected type; text is parsed with
    :func:`parse_cached` (which raises :class:`ExpressionError` on bad syntax).
    """
    if isinstance(expr, str):
        expr = parse_cached(expr)
    return _eval(expr, answers if answers is not None else {})


def is_true(expr: Expr | str, answers: Mapping[str, object] | None) -> bool:
    """Whether a condition holds: :func:`evaluate`, then the truthiness rule."""
    return _truthy(evaluate(expr, answers))


def _eval(expr: Expr, answers: Mapping[str, object]) -> object:
    match expr:
        case Literal(value=value):
            return value
        case Reference(name=name, member=member):
            return _lookup(answers.get(name), member)
        case Compare(op=op, left=left, right=right):
            a, b = _eval(left, answers), _eval(right, answers)
            if op == "==":
                return _equal(a, b)
            if op == "!=":
                return not _equal(a, b)
            return _ordered(op, a, b)
        case Membership(item=item, options=options, negated=negated):
            found = _member_of(_eval(item, answers), _eval(options, answers))
            return not found if negated else found
        case BoolOp(op="and", operands=operands):
            return all(_truthy(_eval(o, answers)) for o in operands)
        case BoolOp(operands=operands):
            return any(_truthy(_eval(o, answers)) for o in operands)
        case Not(operand=operand):
            return not _truthy(_eval(operand, answers))
        case ListExpr(items=items):
            return [_eval(i, answers) for i in items]
        case Call(name=name, args=args):
            return _call(name, [_eval(a, answers) for a in args])
    return None


def _lookup(value: object, member: str | None) -> object:
    if member is None or member == "value":
        return value
    if member == "values":
        if value is None:
            return None
        if isinstance(value, dict):
            return _flatten(value.values())
        if _is_list(value):
            return list(value)  # type: ignore[call-overload]
        return [value]
    if isinstance(value, dict):
        if member in value:
            return value[member]
        if member.isdigit() and int(member) in value:
            return value[int(member)]
    return None


def _flatten(values) -> list[object]:
    out: list[object] = []
    for v in values:
        if _is_list(v):
            out.extend(v)
        else:
            out.append(v)
    return out


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


_NUMERIC = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def _number(value: object) -> int | float | None:
    """The number a value stands for: numbers, and text that reads as a decimal number."""
    if isinstance(value, str):
        return _text_number(value) if len(value) < 400 else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    return None


@functools.lru_cache(maxsize=8192)
def _text_number(text: str) -> int | float | None:
    # cached: the same few choice values ("1".."5") are converted over and over
    if not _NUMERIC.fullmatch(text):
        return None
    return int(text) if _INTEGER.fullmatch(text) else float(text)


def _equal(a: object, b: object) -> bool:
    if type(a) is str and type(b) is str and a == b:
        return True  # the common case, decided without the numeric view
    if a is None or b is None:
        return a is None and b is None
    a_list, b_list = _is_list(a), _is_list(b)
    if a_list and b_list:
        a_seq, b_seq = list(a), list(b)  # type: ignore[call-overload]
        return len(a_seq) == len(b_seq) and all(map(_equal, a_seq, b_seq))
    if a_list:
        return any(_equal(x, b) for x in a)  # type: ignore[attr-defined]
    if b_list:
        return any(_equal(a, x) for x in b)  # type: ignore[attr-defined]
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
            return False
        return all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    try:
        return bool(a == b)
    except Exception:  # an exotic value whose __eq__ misbehaves is simply not equal
        return False


def _ordered(op: str, a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    a_list, b_list = _is_list(a), _is_list(b)
    if a_list and b_list:
        return False
    if a_list:
        return any(_ordered(op, x, b) for x in a)  # type: ignore[attr-defined]
    if b_list:
        return any(_ordered(op, a, x) for x in b)  # type: ignore[attr-defined]
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        x, y = na, nb
    elif isinstance(a, str) and isinstance(b, str):
        x, y = a, b  # type: ignore[assignment]
    else:
        return False
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if _is_list(value) or isinstance(value, dict):
        return len(value) == 0  # type: ignore[arg-type]
    return False


def _items(value: object) -> list[object]:
    """The answered parts of a value: list elements, dict keys with an answer, a scalar."""
    if isinstance(value, dict):
        return [k for k, v in value.items() if not _blank(v)]
    if _is_list(value):
        return [v for v in value if not _blank(v)]  # type: ignore[attr-defined]
    return [] if _blank(value) else [value]


def _member_of(item: object, options: object) -> bool:
    choices = _items(options)
    return any(_equal(x, o) for x in _items(item) for o in choices)


def _truthy(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        number = _number(value)
        return number != 0 if number is not None else bool(value.strip())
    if isinstance(value, int | float):
        return value != 0
    return bool(_items(value))


def _call(name: str, args: list[object]) -> object:
    if name == "count":
        return len(_items(args[0]))
    if name == "empty":
        return not _items(args[0])
    if name == "answered":
        return bool(_items(args[0]))
    if name == "contains":
        return _contains(args[0], args[1])
    if name == "sum":
        return _sum(args[0])
    if name == "len":
        return _len(args[0])
    return None


def _contains(container: object, wanted: object) -> bool:
    if wanted is None:
        return False
    present = _items(container)
    wanted_items = _items(wanted) if _is_list(wanted) else [wanted]
    if not wanted_items:
        return False
    return all(any(_equal(p, w) for p in present) for w in wanted_items)


def _sum(value: object) -> int | float:
    if isinstance(value, dict):
        parts = _flatten(value.values())
    elif _is_list(value):
        parts = list(value)  # type: ignore[call-overload]
    else:
        parts = [value]
    total: int | float = 0
    for part in parts:
        number = _number(part)
        if number is not None:
            try:
                total += number
            except OverflowError:  # a huge int meeting a float: the sum is out of range
                total = math.inf if (number > 0) else -math.inf
    return total


def _len(value: object) -> int | None:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if _is_list(value) or isinstance(value, dict):
        return len(value)  # type: ignore[arg-type]
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return len(_number_text(value))
        except ValueError:  # an int beyond str()'s digit limit
            return None
    return None


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)
