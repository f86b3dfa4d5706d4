"""A small, honest JQL: a real tokenizer and parser for the subset the worker uses.

Supported: clauses joined by AND / OR / NOT and parentheses; fields project, key/issuekey/id,
status, statusCategory, priority, issuetype/type, labels, reporter, created/updated, summary,
description, the site's custom fields (by cf[N] or name) and issue.property[key](.path);
operators = != < <= > >= ~ !~ IN, NOT IN, IS, IS NOT with EMPTY/NULL; dates as relative periods
("-5m", "-1d", "4w 2d"), "yyyy-MM-dd[ HH:mm]" / "yyyy/MM/dd[ HH:mm]" (UTC) or now();
ORDER BY created, updated, key/issuekey/id, priority. Anything else is refused with a 400 in
Jira's error shape, never silently ignored. The fields themselves are in jql_fields.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from jirasim.jql_fields import EMPTY, JqlError, Subject, holds, subject
from jirasim.model import Issue
from jirasim.shapes import parse_jira_time

OPERATORS_TEXT = ("The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', "
                  "'NOT IN', 'IS' and 'IS NOT'.")
RESERVED = {"and", "or", "not", "empty", "null", "order", "by", "asc", "desc", "in", "is"}


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, op, punct, end
    text: str
    pos: int

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


_TOKENS = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>!=|!~|>=|<=|=|>|<|~)
  | (?P<punct>[(),\[\]])
  | (?P<word>[^\s"'(),\[\]=!<>~&|;?%^$#]+)
""", re.VERBOSE)


def _where(jql: str, pos: int) -> str:
    line = jql.count("\n", 0, pos) + 1
    column = pos - (jql.rfind("\n", 0, pos) + 1) + 1
    return f"(line {line}, character {column})"


def tokenize(jql: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(jql):
        match = _TOKENS.match(jql, pos)
        if match is None:
            char = jql[pos]
            if char in "\"'":
                raise JqlError(f"Error in the JQL Query: The quoted string '{jql[pos + 1:]}' has not "
                               f"been completed. {_where(jql, pos)}")
            raise JqlError(f"Error in the JQL Query: The character '{char}' is a reserved JQL character. "
                           f"You must enclose it in a string or use the escape '\\u{ord(char):04x}' "
                           f"instead. {_where(jql, pos)}")
        kind = match.lastgroup
        if kind != "ws":
            text = match.group()
            if kind == "string":
                text = re.sub(r"\\(.)", r"\1", text[1:-1])
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(jql)))
    return tokens


# -- the parser ------------------------------------------------------------------------------

Predicate = Callable[[Issue], bool]
SORTABLE = {"created": "created", "createddate": "created", "updated": "updated",
            "updateddate": "updated", "key": "key", "issuekey": "key", "id": "key", "priority": "priority"}


@dataclass(frozen=True)
class Query:
    where: Predicate | None
    order: tuple[tuple[str, bool], ...]  # (sort key, descending)

    @property
    def bounded(self) -> bool:
        return self.where is not None

    def run(self, issues: Iterable[Issue]) -> list[Issue]:
        found = [i for i in issues if self.where is None or self.where(i)]
        for key, descending in reversed(self.order or (("key", True),)):
            found.sort(key=_sort_key(key), reverse=descending)
        return found


def _sort_key(key: str) -> Callable[[Issue], Any]:
    if key == "key":
        return lambda i: int(i.key.rsplit("-", 1)[1])
    if key == "priority":  # Highest first when descending, as Jira orders priorities
        return lambda i: -int(i.fields["priority"]["id"]) if i.fields.get("priority") else -99
    return lambda i: parse_jira_time(i.fields[key])


class _Parser:
    def __init__(self, jql: str, now: datetime, issue_exists: Callable[[str], bool]):
        self.jql = jql
        self.tokens = tokenize(jql)
        self.at = 0
        self.now = now
        self.issue_exists = issue_exists

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, expecting: str, extra: str = "") -> JqlError:
        token = self.token
        got = "end of the query" if token.kind == "end" else f"'{token.text}'"
        return JqlError(f"Error in the JQL Query: Expecting {expecting} but got {got}.{extra} "
                        f"{_where(self.jql, token.pos)}")

    def query(self) -> Query:
        where = None
        if not (self.token.kind == "end" or self.token.keyword("order")):
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.token.keyword("order"):
            self.advance()
            if not self.token.keyword("by"):
                raise self.fail("'by'")
            self.advance()
            order.append(self.sort())
            while self.token.kind == "punct" and self.token.text == ",":
                self.advance()
                order.append(self.sort())
        if self.token.kind != "end":
            raise self.fail("either 'OR' or 'AND'")
        return Query(where, tuple(order))

    def sort(self) -> tuple[str, bool]:
        token = self.advance()
        if token.kind not in ("word", "string"):
            self.at -= 1
            raise self.fail("a field name")
        key = SORTABLE.get(token.text.casefold())
        if key is None:
            subject(token.text, self.now, self.issue_exists)  # raises for a field the site lacks
            raise JqlError(f"Error in the JQL Query: the Jira simulator cannot sort by '{token.text}'; "
                           "it sorts by created, updated, key and priority.")
        descending = False
        if self.token.keyword("asc", "desc"):
            descending = self.advance().text.lower() == "desc"
        return key, descending

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.token.keyword("or"):
            self.advance()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda issue: any(p(issue) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.token.keyword("and"):
            self.advance()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda issue: all(p(issue) for p in parts))

    def not_expr(self) -> Predicate:
        if self.token.keyword("not"):
            self.advance()
            inner = self.not_expr()
            return lambda issue: not inner(issue)
        if self.token.kind == "punct" and self.token.text == "(":
            self.advance()
            inner = self.or_expr()
            if not (self.token.kind == "punct" and self.token.text == ")"):
                raise self.fail("')'")
            self.advance()
            return inner
        return self.clause()

    def field(self) -> tuple[str, tuple[str, tuple[str, ...]] | None]:
        token = self.token
        if token.kind not in ("word", "string") or (token.kind == "word" and token.text.lower() in RESERVED):
            raise self.fail("a field name")
        self.advance()
        if token.kind == "word" and self.token.kind == "punct" and self.token.text == "[":
            self.advance()
            inner = []
            while not (self.token.kind == "punct" and self.token.text == "]"):
                if self.token.kind == "end":
                    raise self.fail("']'")
                inner.append(self.advance().text)
            self.advance()
            if token.text.lower() == "cf":
                return f"cf[{''.join(inner)}]", None
            if token.text.lower() == "issue.property":
                path: tuple[str, ...] = ()
                name = f"issue.property[{''.join(inner)}]"
                if self.token.kind == "word" and self.token.text.startswith("."):
                    path = tuple(p for p in self.advance().text.split(".") if p)
                    name += "." + ".".join(path)
                return name, ("".join(inner), path)
            raise JqlError(f"Field '{token.text}[{''.join(inner)}]' does not exist or you do not have "
                           "permission to view it.")
        return token.text, None

    def operator(self) -> str:
        token = self.token
        if token.kind == "op":
            self.advance()
            return token.text
        if token.keyword("in", "is"):
            self.advance()
            if token.keyword("is") and self.token.keyword("not"):
                self.advance()
                return "is not"
            return token.text.lower()
        if token.keyword("not"):
            self.advance()
            if self.token.keyword("in"):
                self.advance()
                return "not in"
            self.at -= 1
        raise self.fail("operator", " " + OPERATORS_TEXT)

    def clause(self) -> Predicate:
        name, prop = self.field()
        about = subject(name, self.now, self.issue_exists, prop)
        op_token = self.token
        op = self.operator()
        if op in about.sim_unsupported:
            raise JqlError(f"Error in the JQL Query: the Jira simulator does not support the operator "
                           f"'{op_token.text}' for the field '{name}'.")
        operand = self.operand(op, about)
        if operand is EMPTY and op in ("=", "!="):
            op = "is" if op == "=" else "is not"
        if op not in about.operators:
            raise JqlError(f"The operator '{op.upper() if op[0].isalpha() else op}' is not supported by "
                           f"the '{name}' field.")
        values = about.values
        return lambda issue: holds(op, values(issue), operand)

    def operand(self, op: str, about: Subject) -> Any:
        if op in ("is", "is not"):
            if not self.token.keyword("empty", "null"):
                raise self.fail("EMPTY or NULL")
            self.advance()
            return EMPTY
        if op in ("in", "not in"):
            if not (self.token.kind == "punct" and self.token.text == "("):
                raise self.fail("'('")
            self.advance()
            items = [self.value(about)]
            while self.token.kind == "punct" and self.token.text == ",":
                self.advance()
                items.append(self.value(about))
            if not (self.token.kind == "punct" and self.token.text == ")"):
                raise self.fail("')'")
            self.advance()
            return items
        return self.value(about)

    def value(self, about: Subject) -> Any:
        token = self.token
        if token.keyword("empty", "null"):
            self.advance()
            return EMPTY
        if token.kind not in ("word", "string") or (token.kind == "word" and token.text.lower() in RESERVED):
            raise self.fail("either a value, list or function")
        self.advance()
        if token.kind == "word" and self.token.kind == "punct" and self.token.text == "(":
            return self.function(token, about)
        return about.operand(token.text)

    def function(self, name: Token, about: Subject) -> Any:
        self.advance()
        if name.text.lower() != "now" or not (self.token.kind == "punct" and self.token.text == ")"):
            raise JqlError(f"Error in the JQL Query: the Jira simulator supports only the JQL function "
                           f"now() without arguments; got '{name.text}(...)'.")
        self.advance()
        if not about.dates:
            raise JqlError(f"The function 'now' is not supported by the field '{about.name}'.")
        return self.now


def parse(jql: str, now: datetime, issue_exists: Callable[[str], bool] = lambda ref: True) -> Query:
    """Parse `jql` into a Query, or raise JqlError with Jira's message."""
    return _Parser(jql or "", now, issue_exists).query()
