"""The National Do Not Call registry's scrubs (US accounts): upload the FTC's download for
your area codes with the day it was downloaded, and see what is on file. Planning and each
call leave out the registry's numbers (`rules/national_dnc.py`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.schemas import Output, QueryInput
from voicecast.api.spec import operation
from voicecast.dashboard.registry_text import campaign_scrub_warnings
from voicecast.errors import invalid_field
from voicecast.extensions import db
from voicecast.imports.national_dnc import NothingToStore, import_scrub
from voicecast.imports.source import UnreadableFile
from voicecast.models import Account, Campaign, NationalDncScrub
from voicecast.rules.national_dnc import (
    COUNTRY,
    SCRUB_VALID_DAYS,
    account_today,
    scrub_is_stale,
)

TAG = "National Do Not Call registry"
AREA_CODES = r"^\s*[2-9][0-9]{2}(\s*,\s*[2-9][0-9]{2})*\s*$"


class ScrubForm(QueryInput):
    downloaded_on: date | None = Field(
        default=None,
        description="The day the scrub was downloaded from the registry (YYYY-MM-DD), today "
        "in the account's zone when left out; a day after today is refused.",
    )
    area_codes: Annotated[str, Field(pattern=AREA_CODES, max_length=2000)] | None = Field(
        default=None,
        description="The area codes the download covers, comma-separated (e.g. '213,415'): "
        "each is replaced, even one the file lists no number of, and a number of another "
        "area code is an invalid line. Left out: the area codes of the file's numbers.",
    )


class ScrubLineError(Output):
    line: int
    reason: str


class AreaCodeImported(Output):
    area_code: str
    numbers: int


class ScrubReport(Output):
    lines: int = Field(description="Physical lines of the file; every one is counted below.")
    header_lines: int
    empty_lines: int
    continuation_lines: int = Field(description="Lines a quoted cell ran onto.")
    record_lines: int = Field(description="valid + duplicates + invalid.")
    valid: int = Field(description="Registry numbers stored.")
    duplicates: int = Field(description="Numbers seen earlier in the same file.")
    invalid: int
    errors: list[ScrubLineError] = Field(
        description="Each invalid line with its reason (the first 1,000)."
    )
    downloaded_on: date
    area_codes: list[AreaCodeImported] = Field(
        description="The area codes replaced, each with its numbers now on file."
    )
    encoding: str
    delimiter: str


class AreaCodeScrub(Output):
    area_code: str
    downloaded_on: date
    numbers: int
    age_days: int = Field(description="Days since it was downloaded, in the account's zone.")
    stale: bool = Field(description=f"Older than {SCRUB_VALID_DAYS} days: download it again.")
    imported_at: datetime


class ScrubStatus(Output):
    applies: bool = Field(description="The registry applies to the account: a US account.")
    valid_days: int = Field(description="How old a scrub may be to call on (31 days).")
    today: date = Field(description="Today in the account's zone.")
    numbers: int = Field(description="Registry numbers on file, all area codes.")
    area_codes: list[AreaCodeScrub]


class RegistryWarning(Output):
    area_code: str
    contacts: int = Field(description="The campaign's contacts with numbers in it.")
    code: str = Field(description="scrub_missing (none on file) or scrub_stale (over 31 days).")
    downloaded_on: date | None = Field(description="The scrub's day; null when none is on file.")
    message: str


def registry_warnings(campaign: Campaign) -> list[RegistryWarning]:
    """The preview's warnings on the registry's scrubs for a campaign's contacts (US)."""
    found = []
    for warning in campaign_scrub_warnings(campaign):
        if warning.downloaded_on is None:
            message = (
                f"No National Do Not Call scrub is on file for area code {warning.area_code} "
                f"({warning.contacts} of the campaign's contacts): its registered numbers would "
                "be called. Upload one (POST /national-dnc/scrubs)."
            )
        else:
            message = (
                f"The National Do Not Call scrub of area code {warning.area_code} "
                f"({warning.contacts} of the campaign's contacts) was downloaded on "
                f"{warning.downloaded_on}, over {SCRUB_VALID_DAYS} days ago: download and "
                "upload a new one."
            )
        found.append(RegistryWarning(**warning.as_dict(), message=message))
    return found


def managed_account() -> Account:
    principal = current_principal()
    principal.require_manager()
    return principal.user.account


@operation(
    bp,
    "/national-dnc/scrubs",
    "POST",
    summary="Import a National Do Not Call registry scrub",
    tag=TAG,
    form=ScrubForm,
    response=ScrubReport,
    status=200,
    errors=(403, 413, 422),
)
def upload_scrub(form: ScrubForm, upload):
    """The FTC's download for your area codes: one 10-digit number per line, or the area
    code and the number in two cells (`213,5550143`), a header line or not; a CSV with a
    phone column works too. UTF-8 or Windows-1252. Each area code it covers replaces that
    area code's previous scrub and date. US accounts only."""
    account = managed_account()
    if account.country != COUNTRY:
        raise invalid_field(
            "body.file",
            f"The National Do Not Call registry is the United States'; this account's country "
            f"is {account.country}.",
            "country",
        )
    today = account_today(account)
    downloaded_on = form.downloaded_on or today
    if downloaded_on > today:
        raise invalid_field(
            "body.downloaded_on",
            f"{downloaded_on} is after today ({today} in {account.timezone}): give the day "
            "the scrub was downloaded.",
            "future_date",
        )
    codes = {c.strip() for c in form.area_codes.split(",")} if form.area_codes else None
    try:
        report = import_scrub(account, upload.read(), downloaded_on, codes)
    except (UnreadableFile, NothingToStore) as error:
        raise invalid_field("body.file", str(error), "file") from None
    return ScrubReport(**report)


@operation(
    bp,
    "/national-dnc",
    "GET",
    summary="The National Do Not Call scrubs on file",
    tag=TAG,
    response=ScrubStatus,
    errors=(403,),
)
def scrub_status():
    """Each area code's scrub: the day it was downloaded, its numbers, whether it is older
    than 31 days (then calls to its numbers go on with the old scrub, and campaign previews
    warn)."""
    account = managed_account()
    today = account_today(account)
    scrubs = db.session.scalars(
        select(NationalDncScrub)
        .where(NationalDncScrub.account_id == account.id)
        .order_by(NationalDncScrub.area_code)
    ).all()
    return ScrubStatus(
        applies=account.country == COUNTRY,
        valid_days=SCRUB_VALID_DAYS,
        today=today,
        numbers=sum(scrub.numbers for scrub in scrubs),
        area_codes=[
            AreaCodeScrub(
                area_code=scrub.area_code,
                downloaded_on=scrub.downloaded_on,
                numbers=scrub.numbers,
                age_days=(today - scrub.downloaded_on).days,
                stale=scrub_is_stale(scrub.downloaded_on, today),
                imported_at=scrub.updated_at,
            )
            for scrub in scrubs
        ],
    )
