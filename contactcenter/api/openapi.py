"""OpenAPI 3.1 document generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contactcenter.api.routes import ROUTES, Route
from contactcenter.api.schemas import ErrorOut

_PARAM = re.compile(r"{(\w+)}")
_REF = "#/components/schemas/{model}"


@cache
def document() -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorOut}
    for r in ROUTES:
        models.update(m for m in (r.body, r.query, r.response) if m is not None)
    keyed, top = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)], ref_template=_REF
    )
    refs = {model: schema for (model, _), schema in keyed.items()}
    paths: dict[str, dict[str, Any]] = {}
    for r in ROUTES:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "contactcenter",
            "version": "1",
            "description": "Omnichannel contact-center backend. Errors are "
            '{"error": {"code", "message"}}; lists are {"items", "next_cursor"}.',
        },
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(r: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": refs[ErrorOut]}}}
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in _PARAM.findall(r.path)
    ]
    if r.query is not None:
        props = r.query.model_json_schema()["properties"]
        for name, field in r.query.model_fields.items():
            wire = field.alias or name  # `from` is a keyword: the field is from_, aliased
            params.append(
                {
                    "name": wire,
                    "in": "query",
                    "required": field.is_required(),
                    "description": field.description or "",
                    "schema": props[wire],
                }
            )
    ok: dict[str, Any] = {"description": r.summary}
    if r.response is not None:
        ok["content"] = {r.content_type: {"schema": refs[r.response]}}
    elif r.content_type != "application/json":
        ok["content"] = {r.content_type: {"schema": {"type": "string"}}}
    op: dict[str, Any] = {
        "summary": r.summary,
        "operationId": f"{r.method.lower()}_{r.handler.__module__.rsplit('.', 1)[-1]}"
        f"_{r.handler.__name__}",
        "tags": [r.tag],
        "parameters": params,
        "responses": {str(r.status): ok, "4XX": {"description": "Error", **error}},
    }
    if r.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[r.body]}},
        }
    if r.files:
        op["requestBody"]["content"]["multipart/form-data"] = {"schema": {
            "type": "object",
            "properties": {"text": {"type": "string", "maxLength": 4096},
                           "file": {"type": "array", "maxItems": 10,
                                    "items": {"type": "string", "format": "binary"}}},
        }}  # fmt: skip
    if r.role is not None:
        op["security"] = [{"bearer": []}]
        op["description"] = f"Needs the {r.role.value} role or higher."
    return op
