"""The search box's query language, parsed into terms both backends can run safely.

Words must all match; "quoted phrases" match in order; a trailing * matches a prefix; a leading
- excludes. Anything else a person can type (unbalanced quotes, a lone * or -, FTS keywords, SQL,
emoji, right-to-left text, NUL bytes, very long input) is reduced to these terms, never passed
through: each term is compiled from folded letter-and-digit tokens only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.text import tokens

MAX_QUERY_LENGTH = 500
MAX_TERMS = 24
# Upper-case operators people bring from other search engines; ours has no OR/NEAR.
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    def to_text(self) -> str:
        body = " ".join(self.words)
        if len(self.words) > 1:
            body = f'"{body}"'
        return ("-" if self.negated else "") + body + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    terms: tuple[Term, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def to_text(self) -> str:
        return " ".join(t.to_text() for t in self.terms)


def parse_query(raw: str) -> ParsedQuery:
    notes: list[str] = []
    text = raw.replace("\x00", "")
    if len(text) > MAX_QUERY_LENGTH:
        text = text[:MAX_QUERY_LENGTH]
        notes.append(f"Your search was shortened to its first {MAX_QUERY_LENGTH} characters.")
    terms: list[Term] = []
    dropped_operators: set[str] = set()
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        if text[i] == "-":
            negated = True
            i += 1
            if i >= n or text[i].isspace():
                continue  # a lone "-" excludes nothing
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end == -1:
                notes.append("A quotation mark was not closed; the rest was read as a phrase.")
                end = n
            chunk, i = text[i + 1 : end], end + 1
            prefix = i < n and text[i] == "*"
            if prefix:
                i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != '"':
                i += 1
            chunk = text[start:i]
            if chunk in _OPERATORS and not negated:
                dropped_operators.add(chunk)
                continue
            prefix = chunk.endswith("*")
        words = tuple(tokens(chunk))
        if words:
            terms.append(Term(words, prefix=prefix, negated=negated))
    if dropped_operators:
        listed = ", ".join(sorted(dropped_operators))
        verb = "is not an operator" if len(dropped_operators) == 1 else "are not operators"
        notes.append(f"{listed} {verb} here: all words must match; use -word to exclude.")
    if len(terms) > MAX_TERMS:
        terms = terms[:MAX_TERMS]
        notes.append(f"Only the first {MAX_TERMS} search terms were used.")
    if raw.strip() and not terms:
        notes.append("Your search has no letters or digits to look for, so all records are shown.")
    elif terms and not any(not t.negated for t in terms):
        notes.append("Your search only excludes words, so it lists every record without them.")
    return ParsedQuery(tuple(terms), tuple(notes))


def fts5_expression(terms: tuple[Term, ...], *, joiner: str = " ") -> str:
    """An FTS5 MATCH expression; every token is inside double quotes, so none is an operator."""
    return joiner.join(f'"{" ".join(t.words)}"' + ("*" if t.prefix else "") for t in terms)


def tsquery_expression(terms: tuple[Term, ...], *, joiner: str = " & ") -> str:
    """A tsquery in its text form; tokens are letters and digits only, so need no escaping."""
    parts = []
    for term in terms:
        words = [f"'{w}'" for w in term.words]
        if term.prefix:
            words[-1] += ":*"
        phrase = " <-> ".join(words)
        parts.append(f"({phrase})" if len(words) > 1 else phrase)
    return joiner.join(parts)
