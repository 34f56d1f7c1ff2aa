"""Request and response bodies of sign-up, sign-in, tokens and the user's own account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, EmailStr, Field, StringConstraints

from scrapeflow.kit.schemas import InputSchema, Name, Schema


def _normalise_email(value: str) -> str:
    return value.strip().lower()


Email = Annotated[EmailStr, StringConstraints(max_length=320), AfterValidator(_normalise_email)]
Password = Annotated[
    str,
    StringConstraints(min_length=8, max_length=1024),
    Field(description="At least 8 characters.", json_schema_extra={"format": "password", "writeOnly": True}),
]


class UserRegister(InputSchema):
    email: Email
    password: Password
    name: Name | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}]
        }
    )


class UserLogin(InputSchema):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ada@example.com", "password": "correct horse battery"}]}
    )


class UserUpdate(InputSchema):
    name: Name | None = None
    email: Email | None = None
    password: Password | None = None
    current_password: Annotated[str, StringConstraints(max_length=1024)] | None = Field(
        default=None, description="Required to change the email or the password."
    )


class User(Schema):
    id: uuid.UUID
    email: str
    name: str
    email_verified: bool
    default_org_id: uuid.UUID | None
    created_at: datetime


class Token(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int = Field(description="Seconds until the access token expires.")


class OAuthProvider(Schema):
    name: str
    authorize_url: str
