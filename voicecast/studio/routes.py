"""The seller's page: record, listen, send; then see the processed result or why it failed.

The link's token is the seller's only credential here; forms still carry a CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from voicecast.errors import ApiError, error_body
from voicecast.extensions import db
from voicecast.i18n import COOKIE as LOCALE_COOKIE
from voicecast.i18n import LOCALES, account_locale
from voicecast.i18n import gettext as _
from voicecast.journeys.asked import Message, asked_step, seller_messages
from voicecast.media.links import LinkProblem, resolve_link
from voicecast.media.signing import media_url
from voicecast.media.uploads import accept_upload
from voicecast.models import Purpose, Recording, RecordingLink, RecordingStatus
from voicecast.studio import bp
from voicecast.studio.messages import rejection_message

LINK_PROBLEM_STATUS = {"unknown": 404, "expired": 410, "revoked": 410, "inactive": 410}


def link_or_problem(token: str) -> RecordingLink:
    try:
        link = resolve_link(token)
    except LinkProblem as problem:
        raise StudioLinkError(problem.reason) from None
    speak_as_account(link)
    return link


def speak_as_account(link: RecordingLink) -> None:
    """The seller's account's language and formats (English for a US account), unless the
    seller chose one (`?lang=`, then its cookie): nobody is signed in on this page."""
    g.country = link.seller.account.country
    chosen = request.args.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if chosen not in LOCALES:
        g.locale = account_locale(g.country)


class StudioLinkError(HTTPException):
    def __init__(self, reason: str):
        super().__init__(description=reason)
        self.code = LINK_PROBLEM_STATUS[reason]
        self.reason = reason


LINK_PROBLEM_MESSAGES = {
    "unknown": "Lien inconnu",
    "expired": "Ce lien a expiré",
    "revoked": "Ce lien n'est plus valable",
    "inactive": "Ce lien n'est plus valable",
}


@bp.errorhandler(StudioLinkError)
def link_problem_page(error: StudioLinkError):
    if request.endpoint != "studio.page":  # the page's scripts read JSON
        message = _(LINK_PROBLEM_MESSAGES[error.reason])
        return jsonify(error_body(error.reason, message)), error.code
    return render_template("studio/link_problem.html", reason=error.reason), error.code


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(error: RequestEntityTooLarge):
    """Bodies over MAX_CONTENT_LENGTH are refused before the view: same answer as too_large."""
    max_bytes = current_app.config["RECORDING_MAX_BYTES"]
    message = rejection_message("too_large", limits())
    return jsonify(error_body("too_large", message, {"max_bytes": max_bytes})), 413


@bp.errorhandler(CSRFError)
def csrf_problem(error: CSRFError):
    """The page's scripts send the token in a header; say what to do in their JSON shape."""
    message = _("Votre session a expiré. Rechargez la page, puis réessayez.")
    return jsonify(error_body("csrf_failed", message)), 400


def limits() -> dict[str, Any]:
    config = current_app.config
    return {
        "min_seconds": f"{config['RECORDING_MIN_SPEECH_SECONDS']:g}",
        "max_seconds": f"{config['RECORDING_MAX_SECONDS']:g}",
        "max_megabytes": f"{config['RECORDING_MAX_BYTES'] / (1024 * 1024):g}",
    }


def recording_state(recording: Recording) -> dict[str, Any]:
    """What the page shows about one recording."""
    rejection = None
    if recording.status == RecordingStatus.REJECTED:
        code = recording.rejection_code or ""
        rejection = {"code": code, "message": rejection_message(code, limits())}
    return {
        "id": recording.id,
        "purpose": recording.purpose.value,
        "step_id": recording.step_id,
        "version": recording.version,
        "status": recording.status.value,
        "active": recording.active,
        "rejection": rejection,
        "duration_seconds": recording.duration_seconds,
        "loudness_lufs": recording.loudness_lufs,
        "preview_url": media_url(recording, "preview"),
    }


def chosen_message(messages: list[Message], step_value: str) -> Message:
    """The message `?step=` names among the seller's, else the general one (the first)."""
    for message in messages:
        if message.step_id is not None and str(message.step_id) == step_value:
            return message
    return messages[0]


@bp.get("/<token>")
def page(token: str):
    """The messages the seller is asked to record, and the recorder for the one chosen
    (`?step=<id>`: a journey step's; none, or one not asked any more: the general one)."""
    link = link_or_problem(token)
    messages = seller_messages(link.seller)
    chosen = chosen_message(messages, request.args.get("step", ""))
    return render_template(
        "studio/page.html",
        link=link,
        token=token,
        seller=link.seller,
        messages=messages,
        chosen=chosen,
        current=recording_state(chosen.current) if chosen.current else None,
        limits=limits(),
    )


def upload_target(link: RecordingLink) -> tuple[Purpose, int | None] | None:
    """The purpose (and journey step) the page's form sends; None: not one the seller may
    record."""
    step_value = request.form.get("step_id", "")
    if step_value:
        step = asked_step(link.seller, int(step_value)) if step_value.isdigit() else None
        return (Purpose.JOURNEY_STEP, step.id) if step is not None else None
    purpose_value = request.form.get("purpose", Purpose.VOICEMAIL.value)
    if purpose_value not in {Purpose.VOICEMAIL.value, Purpose.LIVE.value}:
        return None
    return Purpose(purpose_value), None


@bp.post("/<token>/recordings")
def upload(token: str):
    link = link_or_problem(token)
    upload_file = request.files.get("file")
    target = upload_target(link)
    if upload_file is None or target is None:
        message = _("Ce message n'est plus à enregistrer. Rechargez la page.")
        return jsonify(error_body("bad_request", message)), 400
    try:
        recording = accept_upload(link.seller, target[0], upload_file, step_id=target[1])
    except ApiError as error:
        code = error.error_code
        message = (
            rejection_message(code, limits())
            if code in ("too_large", "empty_file")
            else (error.description or "")
        )
        return jsonify(error_body(code, message, error.details)), error.code
    return jsonify(recording_state(recording)), 202


@bp.get("/<token>/recordings/<int:recording_id>")
def recording_status(token: str, recording_id: int):
    link = link_or_problem(token)
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.seller_id != link.seller_id:
        return jsonify(error_body("not_found", "No such recording for this link.")), 404
    return jsonify(recording_state(recording))
