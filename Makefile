# umzug: the two commands a new user needs are `make demo` and `make test`.
# Both install what is missing first (scripts/bootstrap: Debian packages, .venv).
SHELL := /bin/bash
VENV := .venv/bin
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/.venv/bin:$(PATH)
SCENARIOS ?= $(notdir $(wildcard molecule/*))

.PHONY: help bootstrap lab lab-down lab-status images demo test lint unit molecule build clean

# `make molecule SCENARIOS=accounts` runs one scenario.

help:
	@echo "make demo      build the lab and run a migration wave on it (prints where the reports are)"
	@echo "make test      lint, unit tests and every Molecule scenario (what CI runs)"
	@echo "make lab       build the images and start the lab; make lab-down removes it"
	@echo "make lint | unit | molecule | build"

bootstrap:
	@scripts/bootstrap

images: bootstrap
	@$(VENV)/python lab/umzug_lab.py build

lab: bootstrap
	@$(VENV)/python lab/umzug_lab.py up

lab-down: bootstrap
	@$(VENV)/python lab/umzug_lab.py down

lab-status: bootstrap
	@$(VENV)/python lab/umzug_lab.py status

# The lab's Welle (docs/wave.md): dry run, seed, cut-over, verify and Abnahme of both
# Kommunen, then where the reports are. Once accepted, the lab stays migrated: a second
# `make demo` only runs the dry run (start afresh with make lab-down and make lab).
WAVE_DEMO := $(VENV)/ansible-playbook playbooks/wave.yml -e @lab/accounts.yml -e @lab/wave.yml
demo: lab
	@export ANSIBLE_CALLBACKS_ENABLED=kommunal.umzug.report,kommunal.umzug.progress; \
	phases="dryrun seed cutover verify finalize"; \
	if grep -qs '"finalized": {' artifacts/journal/wave-1/*.json; then \
	  echo "== The lab's Welle was accepted before (artifacts/journal/wave-1/): dry run only"; phases=dryrun; fi; \
	status=0; for phase in $$phases; do \
	  echo "== Welle 1: $$phase"; \
	  $(WAVE_DEMO) -e wave_phase=$$phase || { status=$$?; echo "== Welle 1: $$phase failed"; break; }; \
	done; \
	echo; \
	echo "Reports:  $(CURDIR)/artifacts/reports/latest/report.html (this run's last phase)"; \
	echo "          $(CURDIR)/artifacts/reports/latest-dry-run/report.html (the dry run)"; \
	echo "          every run: $(CURDIR)/artifacts/reports/<run id>/report.{html,json}"; \
	echo "Journal:  $(CURDIR)/artifacts/journal/wave-1/"; \
	exit $$status

lint: bootstrap
	$(VENV)/yamllint --strict .
	$(VENV)/ruff check .
	$(VENV)/ansible-lint --profile production

unit: bootstrap
	$(VENV)/pytest tests/unit

# Each scenario's leftovers are destroyed first (the podman driver's destroy also removes
# the scenario network); then the network is made with the subnet the scenario names
# (Molecule's schema has no place for one); then the scenario runs from `create` on.
molecule: images
	@set -e; for s in $(SCENARIOS); do \
	  echo "== molecule scenario $$s"; \
	  start=$$(date +%s); \
	  $(VENV)/molecule destroy -s $$s >/dev/null; \
	  $(VENV)/python lab/umzug_lab.py molecule-network $$s; \
	  $(VENV)/molecule test -s $$s; \
	  echo "== molecule scenario $$s passed in $$(( $$(date +%s) - start )) s"; \
	done

test: lint unit molecule

build: bootstrap
	$(VENV)/ansible-galaxy collection build --force

clean:
	rm -rf .pytest_cache .ruff_cache kommunal-umzug-*.tar.gz
