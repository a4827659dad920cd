"""The OpenAPI 3.1 document, built from the registered operations and their pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from voicecast.api.schemas import UNSTATED_RULES, ErrorOut
from voicecast.api.spec import OPERATIONS, PATH_PARAM, Operation
from voicecast.api.validation import NUL_PATTERN, UPLOAD_FIELD
from voicecast.errors import CODES

REF = "#/components/schemas/{model}"
NO_NUL = {"pattern": NUL_PATTERN}

ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON or the request is malformed.",
    401: "The API key is missing, unknown or revoked.",
    403: "The key's role may not do this.",
    404: "No such object in this account.",
    409: "The object conflicts with an existing one.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "A field is missing, of the wrong type, unknown or invalid; or, with the detail's "
    "type, a rule this document does not state: "
    + "; ".join(f"{kind}: {rule}" for kind, rule in UNSTATED_RULES.items())
    + ".",
}


class SchemaRegistry:
    """Collects pydantic models' JSON schemas under components/schemas."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str = "validation") -> dict[str, str]:
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        if mode == "validation":
            schema = without_nul(schema)
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas[name] = definition
        self.schemas[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}


def without_nul(schema: Any) -> Any:
    """Every text a request sends refuses the NUL character, as `validation.reject_nul_characters`
    does (PostgreSQL cannot store it): strings and object keys get `not: {pattern: NUL}`."""
    if isinstance(schema, list):
        return [without_nul(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found = {key: value if key in {"properties", "$defs"} else without_nul(value)
             for key, value in schema.items()}  # fmt: skip
    for key in ("properties", "$defs"):
        if key in schema:
            found[key] = {name: without_nul(item) for name, item in schema[key].items()}
    if schema.get("type") == "string" and schema.get("format") != "binary":
        found["not"] = NO_NUL
    if schema.get("type") == "object" and schema.get("additionalProperties") not in (None, False):
        found["propertyNames"] = {**found.get("propertyNames", {}), "not": NO_NUL}  # keys: text
    return found


def openapi_path(rule: str) -> str:
    return PATH_PARAM.sub(lambda m: "{" + m.group("name") + "}", rule)


def path_parameters(rule: str) -> list[dict[str, Any]]:
    params = []
    for match in PATH_PARAM.finditer(rule):
        kind = "integer" if match.group("converter") == "int" else "string"
        params.append(
            {"name": match.group("name"), "in": "path", "required": True, "schema": {"type": kind}}
        )
    return params


def without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A form field or query parameter is left out to mean null: a text cannot say null."""
    options = prop.get("anyOf")
    if not options or {"type": "null"} not in options:
        return prop
    kept = [option for option in options if option != {"type": "null"}]
    rest = {key: value for key, value in prop.items() if key not in {"anyOf", "default"}}
    return {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}


def query_parameters(op: Operation) -> list[dict[str, Any]]:
    if op.query is None:
        return list(op.extra_query)
    schema = op.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": prop.get("description", ""),
            "schema": without_nul(
                without_null({k: v for k, v in prop.items() if k not in {"description", "title"}})
            ),
        }
        for name, prop in schema.get("properties", {}).items()
    ]
    return params + list(op.extra_query)


def json_content(ref: dict[str, str]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def operation_object(op: Operation, registry: SchemaRegistry) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.media_type != "application/json":
        responses[str(op.status)] = {
            "description": "Success.",
            "content": {op.media_type: {"schema": {"type": "string"}}},
        }
    elif op.response is None:
        responses[str(op.status)] = {"description": "Done; no content."}
    else:
        body = json_content(registry.ref(op.response, mode="serialization"))
        responses[str(op.status)] = {"description": "Success.", "content": body}
        for status, when in op.also:
            responses[str(status)] = {"description": when, "content": body}
    errors = set(op.errors) | ({422} if op.query or op.body or op.form else set())
    errors |= {400, 413, 415} if op.body else set()
    errors |= {413, 415} if op.form else set()
    errors |= set() if op.public else {401}
    error_ref = registry.ref(ErrorOut, mode="serialization")
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS.get(status, CODES.get(status, "Error")),
            "content": json_content(error_ref),
        }
    obj: dict[str, Any] = {
        "operationId": op.endpoint.replace(".", "_"),
        "summary": op.summary,
        "description": op.description,
        "tags": [op.tag],
        "parameters": path_parameters(op.rule) + query_parameters(op),
        "responses": responses,
    }
    if op.body is not None:
        obj["requestBody"] = {"required": True, "content": json_content(registry.ref(op.body))}
    if op.form is not None:
        obj["requestBody"] = {"required": True, "content": multipart_content(op.form)}
    if op.public:
        obj["security"] = []
    return obj


def multipart_content(form: type[BaseModel]) -> dict[str, Any]:
    """A multipart upload: the form model's fields plus the binary `file` part."""
    schema = form.model_json_schema(ref_template=REF)
    schema.pop("title", None)
    fields = {
        name: without_nul(without_null(prop)) for name, prop in schema.get("properties", {}).items()
    }
    schema["properties"] = {
        UPLOAD_FIELD: {"type": "string", "format": "binary", "description": "The audio file."},
        **fields,
    }
    schema["required"] = [UPLOAD_FIELD, *schema.get("required", [])]
    return {"multipart/form-data": {"schema": schema}}


def build_document(server_url: str) -> dict[str, Any]:
    registry = SchemaRegistry()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method] = operation_object(op, registry)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Voicecast API",
            "version": "1.0.0",
            "description": (
                "Personal drop-to-voicemail campaigns. Authenticate with "
                "`Authorization: Bearer <API key>`. Errors answer "
                '`{"error": {"code", "message", "details"}}`.'
            ),
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(registry.schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
