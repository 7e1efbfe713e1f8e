"""A tiny JSON-schema subset validator (type, required, properties, additionalProperties,
pattern) for the run report's schema in tests/report_schema.json; no dependency."""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (empty when valid)."""
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        bool_ok = "boolean" in names
        if (isinstance(value, bool) and not bool_ok) or not any(
            isinstance(value, _TYPES[n]) for n in names
        ):
            return [f"{where}: {value!r} is not {kinds}"]
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{where}: missing {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                found += errors(item, props[key], f"{where}.{key}")
            elif isinstance(extra, dict):
                found += errors(item, extra, f"{where}.{key}")
            elif extra is False:
                found.append(f"{where}: unexpected {key!r}")
    return found
