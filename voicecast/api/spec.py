"""API operations declared once: the same pydantic models validate requests, shape responses
and describe the endpoint in the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from voicecast.api.schemas import MAX_ID
from voicecast.api.validation import parse_body, parse_query, parse_upload
from voicecast.errors import ApiError


@dataclass(frozen=True)
class Operation:
    """One documented API endpoint."""

    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    also: tuple[tuple[int, str], ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    media_type: str = "application/json"
    description: str = ""
    extra_query: tuple[dict[str, Any], ...] = field(default=())


OPERATIONS: list[Operation] = []

PATH_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    also: tuple[tuple[int, str], ...] = (),
    errors: tuple[int, ...] = (),
    public: bool = False,
    media_type: str = "application/json",
    query_prefix: str | None = None,
    extra_query: tuple[dict[str, Any], ...] = (),
) -> Callable:
    """Register `view` on `bp` at `rule`; it receives `body=`/`query=` as validated models (with
    `form=`, a multipart upload: the other fields as `form=` and the file as `upload=`) and
    returns a model or a dict (sent as JSON with `status`), a string (a page), or None (204).
    `also` lists the other successes a view may answer with the same body, each with when, e.g.
    `((200, "Already listed: the entry as it is."),)` beside a 201; a view answers them by
    returning `(model, status)`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def handler(**path_args: Any) -> Response | tuple[Response, int] | tuple[str, int]:
            check_path_ids(path_args)
            if body is not None:
                path_args["body"] = parse_body(body)
            if query is not None:
                path_args["query"] = parse_query(query, skip_prefix=query_prefix)
            if form is not None:
                path_args["form"], path_args["upload"] = parse_upload(form)
            result = view(**path_args)
            if result is None:
                return "", 204
            if isinstance(result, Response):  # e.g. an idempotent replay with its own status
                return result
            answer = status
            if isinstance(result, tuple):
                result, answer = result
                if answer not in {code for code, _ in also}:
                    raise ValueError(f"{view.__name__} answered {answer}, not declared in also")
            if isinstance(result, str):
                return result, answer
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            return jsonify(result), answer

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handler, methods=[method])
        OPERATIONS.append(
            Operation(
                rule=(bp.url_prefix or "") + rule,
                method=method.lower(),
                endpoint=f"{bp.name}.{view.__name__}",
                summary=summary,
                tag=tag,
                body=body,
                query=query,
                form=form,
                response=response,
                status=status,
                also=also,
                errors=errors,
                public=public,
                media_type=media_type,
                description=(view.__doc__ or "").strip(),
                extra_query=extra_query,
            )
        )
        return handler

    return decorator


def check_path_ids(path_args: dict[str, Any]) -> None:
    """An id in the URL too large for the database names no row: 404, as for any unknown id."""
    if any(isinstance(value, int) and value > MAX_ID for value in path_args.values()):
        raise ApiError(404, "No object with this id in your account.")


def public_endpoints() -> set[str]:
    return {op.endpoint for op in OPERATIONS if op.public}
