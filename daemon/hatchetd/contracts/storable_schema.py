"""What the API document says a stored value may be, in JSON Schema.

`json_values.py` refuses what cannot be stored as sent; the OpenAPI document must not allow it
either, or a client generated from the document (and schemathesis) would send it in good faith.
JSON Schema can say "no NUL character" anywhere in a document (a pattern on every string and
key, through a recursive `StorableJson`); it cannot say "no lone surrogate" in a way every
generator honours, nor "at most 64 levels" — those stay documented in docs/api.md.
"""

from __future__ import annotations

from typing import Any

NO_NUL = r"^[^\u0000]*$"
"""Text without a NUL character (PostgreSQL's text cannot hold one)."""
STORABLE_JSON = "StorableJson"
"""The name of the recursive component in the OpenAPI document."""
_REF = f"#/components/schemas/{STORABLE_JSON}"


def storable_json_component() -> dict[str, Any]:
    """The `StorableJson` component: any JSON value whose strings and keys hold no NUL."""
    return {
        "description": "Any JSON value whose strings and object keys hold no NUL character "
        "(also: numbers finite and within ±1.7976931348623157e308, at most 64 levels, each "
        "key once — see the API's limits).",
        "anyOf": [
            storable_object(),
            {"type": "array", "items": {"$ref": _REF}},
            {"type": "string", "pattern": NO_NUL},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
        ],
    }


def storable_object() -> dict[str, Any]:
    """A JSON object of storable values (an event's `data`)."""
    return {
        "type": "object",
        "propertyNames": {"pattern": NO_NUL},
        "additionalProperties": {"$ref": _REF},
    }


def no_nul_in_strings(schema: dict[str, Any]) -> None:
    """`json_schema_extra` for a field whose strings (also inside `anyOf`) may hold no NUL."""
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "string" and "pattern" not in option:
            option["pattern"] = NO_NUL
