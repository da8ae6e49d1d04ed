# OxTunnel — every target bootstraps what it needs first (scripts/bootstrap.sh is idempotent and fast).
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
export PYTHONPATH := $(CURDIR)/netns-lab
TARGET ?= conformance/targets/local-lab.toml
RUNTIME ?= udp

.PHONY: all bootstrap generate check-generated test unit lint lab bench conformance clean

all: test

bootstrap:
	@scripts/bootstrap.sh

## generate: regenerate generated/ from spec/ (Kaitai parsers, codecs, scapy layers, docs, dissector)
generate: bootstrap
	$(PY) -m spec.codegen --out generated --docs docs

## check-generated: regenerate into a temporary tree and fail on any difference
check-generated: bootstrap
	$(PY) -m spec.codegen --check

## lint: ruff and mypy
lint: bootstrap
	$(PY) -m ruff check .
	$(PY) -m mypy oxtunnel runtimes oxidize conformance spec/codegen netns-lab/oxlab

## test: everything CI runs (freshness, lint, unit, property, interop, lab scenarios when root)
test: bootstrap check-generated lint
	$(PY) -m pytest --cov=oxtunnel --cov-branch --cov-report=term:skip-covered

## unit: the tests without the namespace lab
unit: bootstrap
	$(PY) -m pytest -m "not lab"

## lab: the tunnel end to end in network namespaces, with a report in netns-lab/reports/latest/
lab: bootstrap
	$(PY) -m oxlab run --runtime $(RUNTIME)

## bench: raw veth vs OxTunnel vs wireguard-go in one run
bench: bootstrap
	$(PY) -m oxlab bench

## conformance: black-box suite against TARGET (a TOML file)
conformance: bootstrap
	$(PY) -m conformance --target $(TARGET)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
