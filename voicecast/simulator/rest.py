"""The simulator's HTTP face: Twilio's REST API 2010-04-01 (Calls here; IncomingPhoneNumbers,
Messages and Recordings in their own modules) and the `/_sim/...` ledger and controls."""

from __future__ import annotations

import contextlib
import hmac
import socket
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from voicecast.simulator.engine import Simulator
from voicecast.simulator.inbound import register_inbound
from voicecast.simulator.ledger import CallRecord, new_sid, now
from voicecast.simulator.messages import register_messages
from voicecast.simulator.numbers import register_numbers
from voicecast.simulator.recordings import register_recordings
from voicecast.simulator.resource import (
    API_VERSION,
    ApiError,
    account_uri,
    call_json,
    check_call_filters,
    matches,
    page,
    validate_create,
)

CALLS = f"/{API_VERSION}/Accounts/<account_sid>/Calls.json"
CALL = f"/{API_VERSION}/Accounts/<account_sid>/Calls/<call_sid>.json"
ARRIVED = "voicecast.simulator.arrived_at"


def stamp_arrival(wsgi_app):
    """Note when each request reached the server, before routing and parsing: a call's
    `date_created` is when its request arrived, as the carrier's API edge would see it."""

    def stamped(environ, start_response):
        environ[ARRIVED] = now()
        return wsgi_app(environ, start_response)

    return stamped


def form_params() -> dict[str, Any]:
    """The form body with repeated keys (StatusCallbackEvent) as lists, others as strings."""
    return {
        key: values if len(values) > 1 or key == "StatusCallbackEvent" else values[0]
        for key, values in request.form.lists()
    }


def lose_response(call: CallRecord) -> None:
    """The carrier took the call, and its answer is lost on the way: the connection is shut
    before any byte of the response (the client sees it closed, as after a timeout)."""
    call.notes.append("the create-call response was lost (the call exists)")
    call.rough.append({"what": "create response lost", "at": call_json(call)["date_created"]})
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)


def settings(app: Flask, path: str, apply: Callable[[dict], None],
             describe: Callable[[], dict], shape: str) -> None:  # fmt: skip
    """GET shows the settings at `path`; POST applies a JSON object (400 saying what to fix)."""

    def view() -> tuple[Response, int]:
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return jsonify(error=f"send a JSON object {shape}"), 400
            try:
                apply(body)
            except ValueError as error:
                return jsonify(error=str(error)), 400
        return jsonify(describe()), 200

    app.add_url_rule(path, path.strip("/").replace("/", "_"), view, methods=["GET", "POST"])


def create_simulator_app(sim: Simulator) -> Flask:
    """A Flask app serving `sim`; it shares nothing with the Voicecast app."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.wsgi_app = stamp_arrival(app.wsgi_app)  # type: ignore[method-assign]
    config = sim.config

    def authenticate(account_sid: str) -> None:
        auth = request.authorization
        good = (
            auth is not None
            and auth.type == "basic"
            and hmac.compare_digest(auth.username or "", config.account_sid)
            and hmac.compare_digest(auth.password or "", config.auth_token)
        )
        if not good:
            raise ApiError(401, 20003, "Authenticate")
        if account_sid != config.account_sid:
            raise ApiError(404, 20404, f"The requested resource {request.path} was not found")

    def find(account_sid: str, call_sid: str) -> CallRecord:
        authenticate(account_sid)
        call = sim.ledger.get(call_sid)
        if call is None:
            raise ApiError(404, 20404, f"The requested resource {request.path} was not found")
        return call

    def answer(call: CallRecord, status: int = 200) -> tuple[Response, int]:
        with sim.ledger.lock:
            return jsonify(call_json(call)), status

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> tuple[Response, int]:
        response = jsonify(error.body())
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return response, error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        code = {404: 20404, 405: 20004}.get(error.code or 500, 20500)
        status = error.code or 500
        return jsonify(ApiError(status, code, error.description or "").body()), status

    @app.post(CALLS)
    def create_call(account_sid: str) -> tuple[Response, int]:
        authenticate(account_sid)
        params = form_params()
        warnings = validate_create(params)
        call = CallRecord(new_sid(), account_sid, params["To"], params["From"], params)
        call.date_created = call.date_updated = request.environ.get(ARRIVED, call.date_created)
        call.warnings.extend(warnings)
        created = call_json(call)  # before the dispatcher can move it on: Twilio says queued
        sim.enqueue(call)
        if sim.roughness.for_number(call.to)[0].create_response_lost:
            lose_response(call)
        return jsonify(created), 201

    @app.get(CALLS)
    def list_calls(account_sid: str) -> Response:
        authenticate(account_sid)
        args = request.args.to_dict()
        check_call_filters(args)
        with sim.ledger.lock:
            calls = [c for c in reversed(sim.ledger.all()) if matches(c, args)]
            return jsonify(page(calls, args, f"{account_uri(account_sid)}/Calls.json"))

    @app.get(CALL)
    def fetch_call(account_sid: str, call_sid: str) -> tuple[Response, int]:
        return answer(find(account_sid, call_sid))

    @app.post(CALL)
    def update_call(account_sid: str, call_sid: str) -> tuple[Response, int]:
        call = find(account_sid, call_sid)
        form = request.form
        status = form.get("Status")
        if status and status not in {"canceled", "completed"}:
            raise ApiError(400, 20001, f"Invalid Status: {status}, use canceled or completed")
        if form.get("Twiml") or form.get("Url"):
            source = {"twiml": form["Twiml"]} if form.get("Twiml") else {"url": form["Url"]}
            if "url" in source:
                source["method"] = form.get("Method") or "POST"
            if not sim.redirect(call, source):
                raise ApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
        if status:
            sim.hang_up(call, status)
        return answer(call)

    @app.get("/_sim/health")
    def health() -> Response:
        return jsonify(status="ok", account_sid=config.account_sid, **sim.stats())

    @app.get("/_sim/calls")
    def ledger() -> Response:
        calls = sim.ledger.snapshot()
        return jsonify(calls=calls, count=len(calls), rules=sim.rules.describe())

    @app.get("/_sim/calls/<call_sid>")
    def ledger_call(call_sid: str) -> tuple[Response, int]:
        found = sim.ledger.snapshot(call_sid)
        if not found:
            return jsonify(error=f"no call {call_sid}"), 404
        return jsonify(found[0]), 200

    @app.route("/_sim/rules", methods=["GET", "POST"])
    def rules() -> tuple[Response, int]:
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
                return jsonify(error='send a JSON object {"number or suffix": "outcome"}'), 400
            try:
                sim.rules.set_overrides(body)
            except ValueError as error:
                return jsonify(error=str(error)), 400
        return jsonify(sim.rules.describe()), 200

    settings(app, "/_sim/mailboxes", sim.mailboxes.set_scripts, sim.mailboxes.describe,
             '{"number or suffix": {...}}')  # fmt: skip
    settings(app, "/_sim/roughness", sim.roughness.configure, sim.roughness.describe,
             '{"profile": ..., "numbers": {"number or suffix": {...}}}')  # fmt: skip

    @app.post("/_sim/reset")
    def reset() -> Response:
        sim.reset()
        return jsonify(status="reset")

    register_numbers(app, sim.numbers, authenticate)
    register_messages(app, sim, authenticate)
    register_recordings(app, sim.recordings, authenticate)
    register_inbound(app, sim)
    return app
