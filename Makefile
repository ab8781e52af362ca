# umzug: the two commands a new user needs are `make demo` and `make test`.
# Both install what is missing first (scripts/bootstrap: Debian packages, .venv).
SHELL := /bin/bash
VENV := .venv/bin
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/.venv/bin:$(PATH)
SCENARIOS := $(notdir $(wildcard molecule/*))

.PHONY: help bootstrap lab lab-down lab-status images demo test lint unit molecule build clean

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

# Molecule's schema has no place for a network's subnet, and scenario hosts have fixed
# addresses (they are reached over SSH like the lab). So each scenario's leftovers are
# destroyed first (the driver's destroy also removes the network), then the network is
# made with its subnet, then the scenario runs (its sequence starts at create).
MOLECULE_NETWORK := umzug-molecule
MOLECULE_SUBNET := 10.89.43.0/24

molecule: images
	@set -e; for s in $(SCENARIOS); do \
	  echo "== molecule scenario $$s"; \
	  start=$$(date +%s); \
	  $(VENV)/molecule destroy -s $$s >/dev/null; \
	  podman network exists $(MOLECULE_NETWORK) || podman network create --subnet $(MOLECULE_SUBNET) $(MOLECULE_NETWORK) >/dev/null; \
	  $(VENV)/molecule test -s $$s; \
	  echo "== molecule scenario $$s passed in $$(( $$(date +%s) - start )) s"; \
	done

test: lint unit molecule

build: bootstrap
	$(VENV)/ansible-galaxy collection build --force

clean:
	rm -rf .pytest_cache .ruff_cache kommunal-umzug-*.tar.gz
