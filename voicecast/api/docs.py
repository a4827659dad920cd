"""The API describing itself: the OpenAPI document and a page to browse it."""

from __future__ import annotations

from flask import current_app, render_template

from voicecast.api import bp
from voicecast.api.openapi import build_document
from voicecast.api.schemas import Output
from voicecast.api.spec import operation


class OpenApiDocument(Output):
    """An OpenAPI 3.1 document (see https://spec.openapis.org/oas/v3.1.0)."""

    openapi: str
    info: dict
    paths: dict
    components: dict


def current_document() -> dict:
    return build_document(current_app.config["PUBLIC_BASE_URL"])


@operation(
    bp,
    "/openapi.json",
    "GET",
    summary="This API's OpenAPI document",
    tag="Docs",
    response=OpenApiDocument,
    public=True,
)
def openapi_json():
    """The machine-readable description of every endpoint, generated from the same models that
    validate requests."""
    return current_document()


@operation(
    bp,
    "/docs",
    "GET",
    summary="Browsable API documentation",
    tag="Docs",
    public=True,
    media_type="text/html",
)
def docs_page():
    """A page built from the OpenAPI document, served without any external asset."""
    return render_template("api_docs.html", doc=current_document())
