"""The OpenAPI document at `/openapi.json`: every status each route answers, and every schema.

Routes declare the errors they answer with `responses=errors(404, 409, ...)`, and the bodies
they read by hand (`read_body`, which checks them against a limit) with
`openapi_extra=json_body(Model)`. `install_openapi` completes FastAPI's own document: those
bodies' schemas become components (so every `$ref` resolves), FastAPI's default 422 (a shape
this API never answers) gives way to the declared ones, and with a token every guarded
operation declares bearer auth and its 401. tests/api/test_openapi_statuses.py provokes every
status each route declares.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hatchetd.api.auth import OPEN_PATHS
from hatchetd.contracts.api_errors import ErrorBody
from hatchetd.contracts.storable_schema import (
    STORABLE_JSON,
    storable_json_component,
    storable_object,
)

ERROR_CODES: dict[int, dict[str, str]] = {
    400: {
        "invalid_json": "the body is not JSON, or not UTF-8 (the message says where)",
        "bad_cursor": "a `cursor` not of the shape listings give out",
        "incomplete_body": "the client went away before sending the whole body",
        "invalid_request": "a replay `set` through a value that is not an object",
    },
    401: {"unauthorized": "a token is configured and the request lacks it or has another"},
    404: {"not_found": "no event, run or workflow with that id, prefix or name"},
    409: {
        "idempotency_conflict": "an idempotency key pushed before with other data, or that "
        "started a run of another workflow or with other input",
        "ambiguous_id": "an id prefix that starts several ids (the message lists them)",
        "workflow_inactive": "a run started by hand of a workflow whose file was deleted",
        "run_not_final": "a rerun of a run that has not ended",
        "nothing_failed": "a rerun from the failed steps of a run in which no step failed",
    },
    413: {
        "payload_too_large": "a body over its route's limit, or an event payload or a run's "
        "input over 1 MiB (the message gives size and limit)"
    },
    422: {
        "invalid_value": "a value that cannot be stored as sent: a NUL, a lone surrogate, a "
        "number beyond a 64-bit float, nesting deeper than 64, a repeated key; or a NUL in the "
        "URL (the message names the path or the parameter)",
        "invalid_request": "valid JSON of the wrong shape, or a query parameter out of range",
        "bad_where": "a `where` that is not `path=value`, or beyond the limits",
        "id_too_short": "an id prefix shorter than 4 characters",
        "too_many_events": "a filter replay matching more than 10,000 events",
    },
    426: {"upgrade_required": "a plain HTTP request to the worker socket"},
    503: {
        "unavailable": "the daemon is shutting down, or has not loaded its folder yet",
        "database_unavailable": "the database cannot be reached",
        "database_locked": "the database stayed locked by another writer",
    },
    507: {"storage_full": "the database's disk is full"},
}
"""Every error code, by status, with when it is given; docs/api.md tells the same."""

STORE = (503, 507)
"""What any route that reads or writes the database may answer while the database is in
trouble (unreachable, locked, full)."""

RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_REF = "#/components/schemas/{model}"
_components: dict[type[BaseModel], JsonSchemaMode] = {}
"""Models FastAPI does not see (bodies read by hand, Server-Sent Events' data), to add."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that answers these error statuses, each with `ErrorBody`."""
    return {status: _error(status) for status in statuses}


def _error(status: int) -> dict[str, Any]:
    codes = "; ".join(f"`{code}`: {when}" for code, when in ERROR_CODES[status].items())
    response: dict[str, Any] = {
        "model": ErrorBody,
        "description": f"{HTTPStatus(status).phrase}. {codes}.",
    }
    if status in STORE:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads `model` from its JSON body itself."""
    schema = component(model, "validation")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def component(model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> dict[str, str]:
    """A `$ref` to `model`'s schema, which the document will hold among its components."""
    _components[model] = mode
    return {"$ref": _REF.format(model=model.__name__)}


def install_openapi(app: FastAPI, *, token_required: bool) -> None:
    """Serve the completed document (built once, on the first request for it)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)  # FastAPI's own, cached on app.openapi_schema
            complete(document, token_required=token_required)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], *, token_required: bool) -> None:
    """Add what FastAPI cannot know to its document (see the module's docstring)."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    _add_schemas(schemas, _components)
    schemas[STORABLE_JSON] = storable_json_component()
    _storable_payloads(schemas)
    for path, item in document["paths"].items():
        for operation in item.values():
            responses = operation["responses"]
            if _is_fastapi_422(responses.get("422")):
                del responses["422"]
            if token_required and path not in OPEN_PATHS:
                operation["security"] = [{"bearer": []}]
                responses["401"] = _unauthorized()
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if token_required:
        document["components"]["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "The daemon's HATCHET_TOKEN; the scheme's case does not matter.",
            }
        }
        if "ErrorBody" not in schemas:  # only when no route declares an error of its own
            _add_schemas(schemas, {ErrorBody: "serialization"})


_PAYLOADS = (("PushEvent", "data"), ("ReplayEvents", "data"), ("StartRun", "input"))
"""Where a client sends a payload to be stored. pydantic cannot write a recursive schema that
refers to a component, so the payloads' schemas get `StorableJson` here."""


def _storable_payloads(schemas: dict[str, Any]) -> None:
    for model, field in _PAYLOADS:
        schema = schemas.get(model, {}).get("properties", {}).get(field)
        if schema is None:
            continue
        for option in [schema, *schema.get("anyOf", [])]:
            if option.get("type") == "object":
                option.update(storable_object())


def _add_schemas(schemas: dict[str, Any], models: dict[type[BaseModel], JsonSchemaMode]) -> None:
    if not models:
        return
    _, top = models_json_schema(list(models.items()), ref_template=_REF)
    for name, schema in top.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            # Two different models of one name: one `$ref` would silently point at the other.
            raise RuntimeError(f"two different schemas are named {name} in the OpenAPI document")
        schemas[name] = schema


def _is_fastapi_422(response: dict[str, Any] | None) -> bool:
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _unauthorized() -> dict[str, Any]:
    return {
        "description": f"Unauthorized. `unauthorized`: {ERROR_CODES[401]['unauthorized']}.",
        "headers": {
            "WWW-Authenticate": {
                "description": "`Bearer`: the scheme to authenticate with.",
                "required": True,
                "schema": {"type": "string"},
            }
        },
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}},
    }
