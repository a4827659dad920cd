"""A segment's filter, as JSON, and its compilation to a SQL condition on `contacts`.

    {"all": [
        {"field": "attr.date_d_achat", "op": "before", "value": {"years_ago": 2}},
        {"field": "attr.ville", "op": "eq", "value": "Lyon"},
        {"field": "attr.contrat_d_entretien", "op": "eq", "value": true}
    ]}

A node is a condition or a group: {"all": [...]}, {"any": [...]}, {"not": node}. A condition
names a field (a contact column, or "attr.<name>" for an attribute) and an operator; the value's
JSON type decides how attributes compare: numbers as numbers, true/false as booleans, text and
dates (ISO, or relative to today: {"days_ago"|"months_ago"|"years_ago": n}) as text. A contact
whose attribute is missing or of another type does not match (nor does it match its "ne").
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, bindparam, case, cast, func, not_, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import Float

from voicecast import dialects
from voicecast.models import Contact
from voicecast.rules.eligibility import consent_holds, contract_holds

COLUMNS = {
    "phone": Contact.phone,
    "first_name": Contact.first_name,
    "last_name": Contact.last_name,
    "email": Contact.email,
    "external_id": Contact.external_id,
    "postal_code": Contact.postal_code,
    "line_type": Contact.line_type,
    "timezone": Contact.timezone,
    "seller_id": Contact.seller_id,
}
# A legal basis that holds today: consent given and not withdrawn; a contract not yet ended.
LEGAL_BASIS = {
    "consent": lambda today: consent_holds(Contact),
    "contract": lambda today: contract_holds(Contact, today),
}
ATTRIBUTE = "attr."
COMPARISONS = {"eq", "ne", "lt", "lte", "gt", "gte", "before", "after"}
OPERATORS = COMPARISONS | {"between", "contains", "in", "exists", "missing"}
RELATIVE = {"days_ago", "months_ago", "years_ago"}
MAX_DEPTH = 8
MAX_CONDITIONS = 100


class BadFilter(ValueError):
    """The filter cannot be compiled; the message says where and why (`path` is JSON-ish)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def compile_filter(node: Any, today: date, path: str = "filter") -> ColumnElement[bool]:
    """The SQL condition of `node`; raises BadFilter."""
    counter = [0]
    return _node(node, today, path, 0, counter)


def _node(node: Any, today: date, path: str, depth: int, counter: list[int]):
    if not isinstance(node, dict):
        raise BadFilter(path, "expected an object: a condition, or all/any/not")
    if depth > MAX_DEPTH:
        raise BadFilter(path, f"groups nest at most {MAX_DEPTH} deep")
    groups = {"all", "any", "not"} & set(node)
    if groups:
        if len(node) != 1:
            raise BadFilter(path, "a group has exactly one key: all, any or not")
        (kind,) = groups
        if kind == "not":
            return not_(_node(node["not"], today, f"{path}.not", depth + 1, counter))
        items = node[kind]
        if not isinstance(items, list) or not items:
            raise BadFilter(f"{path}.{kind}", "expected a non-empty list")
        parts = [
            _node(item, today, f"{path}.{kind}[{index}]", depth + 1, counter)
            for index, item in enumerate(items)
        ]
        return and_(*parts) if kind == "all" else or_(*parts)
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise BadFilter(path, f"at most {MAX_CONDITIONS} conditions")
    return condition(node, today, path)


def condition(node: dict, today: date, path: str) -> ColumnElement[bool]:
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        raise BadFilter(path, f"unknown keys {sorted(unknown)}; a condition has field, op, value")
    field, op = node.get("field"), node.get("op")
    known = field in COLUMNS or field in LEGAL_BASIS if isinstance(field, str) else False
    if not isinstance(field, str) or not (known or field.startswith(ATTRIBUTE)):
        names = ", ".join(sorted([*COLUMNS, *LEGAL_BASIS]))
        raise BadFilter(f"{path}.field", f"use one of {names}, or attr.<name>")
    if field in LEGAL_BASIS:
        value = node.get("value")
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise BadFilter(path, f"{field} is true or false, compared with eq or ne")
        holds = LEGAL_BASIS[field](today)
        return holds if value == (op == "eq") else not_(holds)
    if op not in OPERATORS:
        raise BadFilter(f"{path}.op", f"use one of {', '.join(sorted(OPERATORS))}")
    if op in ("exists", "missing"):
        present = presence(field)
        return present if op == "exists" else not_(present)
    value = resolve(node.get("value"), today, f"{path}.value")
    return compare(field, op, value, f"{path}.value")


def resolve(value: Any, today: date, path: str) -> Any:
    """Relative dates become ISO dates; lists are resolved item by item."""
    if isinstance(value, list):
        return [resolve(item, today, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        if len(value) != 1 or not set(value) <= RELATIVE:
            raise BadFilter(path, f"a relative date is one of {sorted(RELATIVE)}: n")
        ((unit, amount),) = value.items()
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= 200 * 366:
            raise BadFilter(path, "give a whole number of days, months or years")
        return shift(today, unit, amount).isoformat()
    if value is None:
        raise BadFilter(path, "a value is needed (use op exists or missing to test presence)")
    return value


def shift(today: date, unit: str, amount: int) -> date:
    if unit == "days_ago":
        return date.fromordinal(today.toordinal() - amount)
    months = amount * (12 if unit == "years_ago" else 1)
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def compare(field: str, op: str, value: Any, path: str) -> ColumnElement[bool]:
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise BadFilter(path, "between takes [low, high]")
        return and_(compare(field, "gte", value[0], path), compare(field, "lte", value[1], path))
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise BadFilter(path, "in takes a list of 1 to 1,000 values")
        return or_(*(compare(field, "eq", item, path) for item in value))
    if op == "contains":
        if not isinstance(value, str):
            raise BadFilter(path, "contains takes text")
        return as_text(field).icontains(value, autoescape=True)
    if isinstance(value, bool) and op not in ("eq", "ne"):
        raise BadFilter(path, "true/false compare with eq or ne only")
    if op == "eq" and field.startswith(ATTRIBUTE) and dialects.is_postgresql():
        # Containment: the attribute holds exactly this JSON value (type included), and the
        # GIN index on attributes finds such contacts without reading the others.
        return Contact.attributes.op("@>", is_comparison=True)(
            bindparam(None, {field[len(ATTRIBUTE) :]: value}, type_=JSONB)
        )
    if isinstance(value, bool):
        return boolean_is(field, value if op == "eq" else not value)
    if isinstance(value, int | float):
        return apply(op, as_number(field), value)
    if isinstance(value, str):
        return apply(op, as_text(field), value)
    raise BadFilter(path, "expected text, a number, true/false or a relative date")


def apply(op: str, column, value) -> ColumnElement[bool]:
    if op == "eq":
        return column == value
    if op == "ne":
        return and_(column.is_not(None), column != value)
    if op in ("lt", "before"):
        return column < value
    if op == "lte":
        return column <= value
    if op in ("gt", "after"):
        return column > value
    return column >= value


def json_path(name: str) -> str:
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attribute_type(name: str):
    """The JSON type of the attribute: PostgreSQL's names (string, number, boolean, null);
    SQLite's are text, integer, real, true, false, null."""
    if dialects.is_postgresql():
        return func.jsonb_typeof(Contact.attributes.op("->")(name), type_=String)
    return func.json_type(Contact.attributes, json_path(name), type_=String)


def attribute_text(name: str):
    if dialects.is_postgresql():
        return Contact.attributes.op("->>", return_type=String)(name)
    return func.json_extract(Contact.attributes, json_path(name), type_=String)


def as_text(field: str):
    """The field as text; an attribute only where it holds text (else NULL: no match)."""
    if field in COLUMNS:
        column = COLUMNS[field]
        return cast(column, String) if field == "seller_id" else column
    name = field[len(ATTRIBUTE) :]
    kind = "string" if dialects.is_postgresql() else "text"
    return case((attribute_type(name) == kind, attribute_text(name)), else_=None)


def as_number(field: str):
    """The field as a number; an attribute only where it holds a number."""
    if field in COLUMNS:
        return COLUMNS[field]
    name = field[len(ATTRIBUTE) :]
    kinds = ("number",) if dialects.is_postgresql() else ("integer", "real")
    return case((attribute_type(name).in_(kinds), cast(attribute_text(name), Float)), else_=None)


def boolean_is(field: str, wanted: bool) -> ColumnElement[bool]:
    if field in COLUMNS:
        raise BadFilter(field, "only attributes hold true/false")
    name = field[len(ATTRIBUTE) :]
    if dialects.is_postgresql():
        return and_(attribute_type(name) == "boolean", attribute_text(name) == str(wanted).lower())
    return attribute_type(name) == ("true" if wanted else "false")


def presence(field: str) -> ColumnElement[bool]:
    """The field is set (an attribute: present and not null)."""
    if field in COLUMNS:
        return COLUMNS[field].is_not(None)
    kind = attribute_type(field[len(ATTRIBUTE) :])
    return and_(kind.is_not(None), kind != "null")
