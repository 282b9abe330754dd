"""/api/docs: a readable API reference rendered by our own templates from the OpenAPI document.

No script and nothing from another origin (the site's CSP forbids inline styles, which the
usual interactive viewers inject), so it reads the same in Tor Browser at its safest setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.web.api import openapi_document
from app.web.deps import HtmxDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    type: str
    required: bool
    default: str
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Parameter]
    responses: list[tuple[str, str, str]]  # status, description, type


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    properties: list[tuple[str, str, bool, str]] = field(default_factory=list)


def schema_type(schema: dict[str, Any]) -> str:
    """A short, readable type: "string", "list of Vendor", "integer or null", "one of: a, b"."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return f"“{schema['const']}”"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(schema_type(s) for s in schema[key]))
    kind = schema.get("type")
    if kind == "array":
        return "list of " + schema_type(schema.get("items", {}))
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return "object of " + (schema_type(extra) if isinstance(extra, dict) else "any")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if kind and fmt else str(kind or "any")


def _limits(schema: dict[str, Any]) -> str:
    parts = []
    for key, text in (("minimum", "≥"), ("maximum", "≤"), ("pattern", "pattern")):
        if key in schema:
            parts.append(f"{text} {schema[key]}")
    return f" ({', '.join(parts)})" if parts else ""


def operations(document: dict[str, Any]) -> list[Operation]:
    found: list[Operation] = []
    for path, methods in document.get("paths", {}).items():
        for method, spec in methods.items():
            parameters = [
                Parameter(
                    name=p["name"],
                    location=p["in"],
                    type=schema_type(p.get("schema", {})) + _limits(p.get("schema", {})),
                    required=bool(p.get("required")),
                    default=""
                    if p.get("schema", {}).get("default") in (None, [], "")
                    else str(p["schema"]["default"]),
                    description=p.get("description", "")
                    or p.get("schema", {}).get("description", ""),
                )
                for p in spec.get("parameters", [])
            ]
            responses = []
            for status, response in spec.get("responses", {}).items():
                content: dict[str, Any] = response.get("content", {})
                media, body = next(iter(content.items()), ("", {"schema": None}))
                kind = schema_type(body["schema"]) if body["schema"] else ""
                shown = f"{kind} ({media})" if media else kind
                responses.append((status, str(response.get("description", "")), shown))
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=spec.get("operationId", f"{method}-{path}"),
                    summary=spec.get("summary", ""),
                    description=spec.get("description", ""),
                    parameters=parameters,
                    responses=responses,
                )
            )
    return found


def schemas(document: dict[str, Any]) -> list[Schema]:
    found: list[Schema] = []
    for name, spec in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(spec.get("required", []))
        properties = [
            (prop, schema_type(sub) + _limits(sub), prop in required, sub.get("description", ""))
            for prop, sub in spec.get("properties", {}).items()
        ]
        description = spec.get("description", "")
        found.append(Schema(name=name, description=description, properties=properties))
    return found


@router.get("/api/docs", name="api_docs")
def api_docs(request: Request, htmx: HtmxDep) -> Response:
    document = openapi_document(request.app)
    found = schemas(document)
    context = {
        "info": document.get("info", {}),
        "operations": operations(document),
        "schemas": found,
        "schema_names": {schema.name for schema in found},
    }
    return render(request, "api/docs.html", context, htmx=htmx)
