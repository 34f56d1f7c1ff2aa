# Thin wrappers; the logic lives in scripts/ and the `scrapeflow` command.
.PHONY: setup run test lint bench

setup:
	scripts/bootstrap --dev

run:
	scripts/run

test:
	scripts/test

lint:
	uv run --frozen ruff check . && uv run --frozen ruff format --check . && uv run --frozen mypy && uv run --frozen lint-imports

bench:
	scripts/bench
