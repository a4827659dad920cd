"""The account's registered numbers: shared lines, and sellers' own lines."""

from __future__ import annotations

from sqlalchemy import select

from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.models import PhoneNumber, User


def number_named(number: str) -> PhoneNumber | None:
    """The registered number `number` (E.164), whatever its account."""
    return db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == number))


def claimable_number(account_id: int, number: str) -> PhoneNumber | None:
    """The account's registration of `number`, None if it has none; 409 if another account
    registered it (a number routes callbacks to one account only)."""
    found = number_named(number)
    if found is not None and found.account_id != account_id:
        raise ApiError(409, f"{number} is registered to another account.")
    return found


def set_seller_line(seller: User, number: str | None) -> None:
    """Make `number` the seller's own line (registering it if needed); None: the seller has no
    line of their own any more (their former line stays registered, as a shared line)."""
    db.session.flush()  # a new seller needs its id
    current = seller.line
    if current is not None and current.number == number:
        return
    found = claimable_number(seller.account_id, number) if number else None
    if found is not None and found.seller_id not in (None, seller.id):
        raise ApiError(409, f"{number} is already another seller's callback line.")
    if current is not None:
        current.seller_id = None
        db.session.flush()  # one line per seller: free it before taking another
    if number is not None:
        if found is None:
            found = PhoneNumber(account_id=seller.account_id, number=number)
            db.session.add(found)
        found.seller_id = seller.id
    db.session.flush()
    db.session.expire(seller, ["line"])


def seller_lines(account_id: int) -> list[str]:
    stmt = select(PhoneNumber.number).where(
        PhoneNumber.account_id == account_id, PhoneNumber.seller_id.is_not(None)
    )
    return list(db.session.scalars(stmt))
