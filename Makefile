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

# Until the wave playbook exists, the demo brings up the lab and shows its hosts.
demo: lab
	@echo
	@echo "The lab is up. Inventory: inventories/lab; credentials: .lab/credentials/"
	@echo "Try: $(VENV)/ansible -m ansible.builtin.ping all"

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
