"""Base schemas and field types shared by every domain's API."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


class Schema(BaseModel):
    """A response body read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class InputSchema(BaseModel):
    """A request body: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _storable_text(value: str) -> str:
    """Refuse text a database cannot store or a person cannot see (NUL, lone surrogates, controls)."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("text contains an invalid unicode character (a lone surrogate)")
        if category == "Cc" and char not in "\t\n\r":
            raise ValueError("text contains a control character")
    return unicodedata.normalize("NFC", value)


def ensure_storable(value: Any, path: str = "") -> Any:
    """Walk a JSON document and refuse strings (keys included) that could not be stored."""
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {ensure_storable(key, path): ensure_storable(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [ensure_storable(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


Text = Annotated[str, AfterValidator(_storable_text)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_storable_text)]
LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_storable_text)]
