"""A scrub of the National Do Not Call registry from a file, as the FTC's download gives it:
one number per line (10 digits), or the area code and the number in two cells
(`213,5550143`), sometimes under a header; a CSV whose header names the number's column
works too. Every line is accounted for: a number stored, a duplicate, or invalid with its
reason. The numbers of each area code in the file (or of those the user names) replace that
area code's previous scrub, with the day it was downloaded."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import delete, insert, select

from voicecast import dialects
from voicecast.extensions import db
from voicecast.imports.reasons import Reasoned, say
from voicecast.imports.source import BadLine, Line, read_lines
from voicecast.imports.suppressions import phone_columns
from voicecast.models import Account, NationalDncNumber, NationalDncScrub
from voicecast.phones import InvalidPhone, describe
from voicecast.rules.caller_id import HOME_REGIONS
from voicecast.rules.national_dnc import COUNTRY, area_code

CHUNK = 5000
COPY_NUMBERS = "COPY national_dnc_numbers (account_id, area_code, phone) FROM STDIN"
# The report lists this many invalid lines (the count covers them all).
LISTED_ERRORS = 1000


class NothingToStore(Reasoned):
    """The file gives no number and no area code was named: nothing would be replaced."""


@dataclass
class ScrubReport:
    """What each line of the file was."""

    valid: int = 0
    duplicates: int = 0
    invalid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, line: int, reason: str) -> None:
        self.invalid += 1
        if len(self.errors) < LISTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})


def first_line_is_data(header: list[str]) -> bool:
    """A file without a header: its first line holds digits where a header holds words."""
    return any(ch.isdigit() for ch in "".join(header))


def raw_number(cells: list[str], phone_at: int | None) -> str:
    """The number a record gives: the FTC's two cells (area code, then the 7-digit number),
    else its phone column's cell, else its first cell."""
    stripped = [cell.strip() for cell in cells if cell.strip()]
    if [len(c) for c in stripped] == [3, 7] and "".join(stripped).isdigit():
        return "".join(stripped)
    if phone_at is not None:
        return cells[phone_at].strip() if phone_at < len(cells) else ""
    return stripped[0] if stripped else ""


class Exchanges:
    """Reads a file's numbers in E.164. The registry's lines are mostly bare 10 digits, and a
    number's validity and region in the North American plan are those of its area code and
    exchange (its first 6 digits): each exchange is checked once, by its first number, and
    the others of it are taken on its word (a full check per line made a 200,000-number scrub
    take 20 s)."""

    def __init__(self) -> None:
        self.regions: dict[str, str] = {}

    def e164(self, raw: str) -> str:
        """`raw` as a US number in E.164; raises InvalidPhone saying why it is not one."""
        digits = raw.removeprefix("+")
        plain = digits.removeprefix("1") if digits.isdigit() else ""
        if len(plain) == 10 and plain[:6] in self.regions:
            return "+1" + plain
        number = describe(raw, COUNTRY)
        if number.region not in HOME_REGIONS[COUNTRY]:
            raise InvalidPhone(f"{raw!r} is not a US number (the registry holds US numbers only).")
        if len(plain) == 10:
            self.regions[plain[:6]] = number.region
        return number.e164


def registry_number(raw: str, area_codes: set[str] | None, exchanges: Exchanges) -> str:
    """`raw` as a registry number in E.164; raises InvalidPhone saying why it is not one."""
    if not raw:
        raise InvalidPhone("no number in this line")
    e164 = exchanges.e164(raw)
    code = area_code(e164)
    if area_codes is not None and code not in area_codes:
        named = ", ".join(sorted(area_codes))
        raise InvalidPhone(f"{raw!r} is in area code {code}, not among those named ({named}).")
    return e164


def read_scrub(data: bytes, area_codes: set[str] | None) -> tuple[list[str], dict[str, Any]]:
    """The file's registry numbers (each once, in file order) and its report so far."""
    header, records, how, tally = read_lines(data)
    phone_at, _ = phone_columns(header)
    if phone_at is None and first_line_is_data(header):
        tally.header -= 1  # the first line is a number like the others
        records = chain([Line(1, header)], records)
    report, seen, numbers, exchanges = ScrubReport(), set(), [], Exchanges()
    for record in records:
        if isinstance(record, BadLine):
            report.refuse(record.number, say(record.code, record.params, "en"))
            continue
        try:
            phone = registry_number(raw_number(record.cells, phone_at), area_codes, exchanges)
        except InvalidPhone as error:
            report.refuse(record.number, str(error))
            continue
        if phone in seen:
            report.duplicates += 1
            continue
        seen.add(phone)
        numbers.append(phone)
    report.valid = len(numbers)
    summary = {
        **tally.describe(report.valid + report.duplicates + report.invalid),
        "valid": report.valid,
        "duplicates": report.duplicates,
        "invalid": report.invalid,
        "errors": report.errors,
        **how,
    }
    return numbers, summary


def import_scrub(
    account: Account, data: bytes, downloaded_on: date, area_codes: set[str] | None
) -> dict[str, Any]:
    """Replace the scrub of each area code the file covers (`area_codes`, else those of its
    numbers) by the file's numbers, downloaded on `downloaded_on` (committed); the report."""
    numbers, report = read_scrub(data, area_codes)
    counts = Counter(area_code(phone) for phone in numbers)
    covered = sorted(area_codes if area_codes is not None else counts)
    if not covered:
        raise NothingToStore("scrub_without_numbers")
    replace(account.id, covered, numbers)
    for code in covered:
        record_scrub(account.id, code, downloaded_on, counts[code])
    db.session.commit()
    report["downloaded_on"] = downloaded_on.isoformat()
    report["area_codes"] = [{"area_code": code, "numbers": counts[code]} for code in covered]
    return report


def replace(account_id: int, covered: list[str], numbers: list[str]) -> None:
    """The account's registry numbers of the `covered` area codes become `numbers`."""
    db.session.execute(
        delete(NationalDncNumber).where(
            NationalDncNumber.account_id == account_id, NationalDncNumber.area_code.in_(covered)
        )
    )
    if dialects.is_postgresql():
        copy_numbers(account_id, numbers)
        return
    for start in range(0, len(numbers), CHUNK):
        rows = [
            {"account_id": account_id, "area_code": area_code(phone), "phone": phone}
            for phone in numbers[start : start + CHUNK]
        ]
        db.session.execute(insert(NationalDncNumber), rows)


def copy_numbers(account_id: int, numbers: list[str]) -> None:
    """PostgreSQL: the numbers COPYed on the session's connection, in its transaction (an
    area code's scrub holds up to a few million numbers: several times faster than INSERTs).
    The cells are digits and '+': nothing to escape."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(COPY_NUMBERS) as copy:
        for start in range(0, len(numbers), CHUNK):
            copy.write(
                "".join(
                    f"{account_id}\t{area_code(phone)}\t{phone}\n"
                    for phone in numbers[start : start + CHUNK]
                )
            )


def record_scrub(account_id: int, code: str, downloaded_on: date, numbers: int) -> None:
    """The area code's scrub on record: downloaded on `downloaded_on`, `numbers` strong."""
    scrub = db.session.scalar(
        select(NationalDncScrub).where(
            NationalDncScrub.account_id == account_id, NationalDncScrub.area_code == code
        )
    )
    if scrub is None:
        scrub = NationalDncScrub(account_id=account_id, area_code=code)
        db.session.add(scrub)
    scrub.downloaded_on, scrub.numbers = downloaded_on, numbers
