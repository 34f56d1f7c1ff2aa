"""Throwaway PostgreSQL databases for benchmarks (created and dropped on the local server)."""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE_URL = os.environ.get("BENCH_PG_BASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def create_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
