# The two commands: `make run` (the portal on its embedded default) and `make test` (the whole suite).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: run test setup lint translations

run: setup
	@./portal run-demo

test:
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

translations:
	@$(UV) run pybabel extract -F babel.cfg -o src/locale/messages.pot --no-location --sort-output --ignore-dirs='.* _* var node_modules' .
	@$(UV) run pybabel update -i src/locale/messages.pot -d src/locale --no-fuzzy-matching

lint:
	@$(UV) run ruff check src tests bench
	@$(UV) run ruff format --check src tests bench
	@$(UV) run mypy
	@$(UV) run --frozen lint-imports
