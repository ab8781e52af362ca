# umzug: the two commands a new user needs are `make demo` and `make test`.
# Both install what is missing first (scripts/bootstrap: Debian packages, .venv).
SHELL := /bin/bash
VENV := .venv/bin
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/.venv/bin:$(PATH)
# windows (the Kommune reached only over SMB, LDAPS and DRSUAPI) runs after the others.
SCENARIOS ?= $(filter-out windows,$(notdir $(wildcard molecule/*))) windows

.PHONY: help bootstrap lab lab-down lab-status lab-fresh images demo test lint sanity unit molecule build clean

# `make molecule SCENARIOS=accounts` runs one scenario.

help:
	@echo "make demo      build the lab and run a migration wave on it (prints where the reports are)"
	@echo "make test      lint, unit tests and every Molecule scenario (what CI runs)"
	@echo "make lab       build the images and start the lab; make lab-down removes it"
	@echo "make lab-fresh provision the lab from an empty state folder, then remove it (part of make test)"
	@echo "make lint | sanity | unit | molecule | build"

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

# The lab's real inventory provisioned as on a machine that never had it: every lab
# container removed, then started and configured with an empty state folder (no SSH key,
# passwords, CA or credentials left from earlier), then removed again. Part of `make test`,
# so a fault that only a new machine shows (e.g. a folder that an earlier run had left)
# fails the test run. On failure the containers and $(LAB_FRESH_STATE) stay for diagnosis.
LAB_FRESH_STATE := $(CURDIR)/.lab-fresh
lab-fresh: images
	@set -e; $(VENV)/python lab/umzug_lab.py down >/dev/null; rm -rf $(LAB_FRESH_STATE); \
	start=$$(date +%s); \
	echo "== lab from an empty state folder ($(LAB_FRESH_STATE))"; \
	UMZUG_LAB_STATE=$(LAB_FRESH_STATE) $(VENV)/python lab/umzug_lab.py up; \
	UMZUG_LAB_STATE=$(LAB_FRESH_STATE) $(VENV)/python lab/umzug_lab.py down >/dev/null; \
	echo "== lab from an empty state folder: provisioned in $$(( $$(date +%s) - start )) s, removed"

# The lab's Welle (docs/wave.md): dry run, seed, cut-over, verify and Abnahme of both
# Kommunen (the phases from roles/wave/vars/main.yml, lab/demo_state.py --phases), then the
# verdicts and where the reports are. Re-runnable: the journal decides
# (lab/demo_state.py). An accepted Kommune is left alone (after the Abnahme nothing runs
# on it again); an unfinished one continues where it stopped; when all are accepted the
# demo says so and exits 0. A journal older than the lab's containers (make lab-down &&
# make lab) is moved aside and the new lab is migrated afresh.
# The Abnahme is a person's signature (wave_accepted_by); the demo signs as itself. Only the
# finalize phase reads it. The lab's Kommunen have no agreed window (the lab plan's are examples),
# so the demo's cut-over runs by override with its reason, which the journal and the report keep;
# only the cut-over's gate reads it (docs/wave.md "The window").
WAVE_DEMO := $(VENV)/ansible-playbook playbooks/wave.yml -e @lab/accounts.yml -e @lab/wave.yml \
	-e '{"wave_accepted_by": "Demo (make demo)", "wave_window_override": "Lab: kein vereinbartes Fenster"}'
DEMO_JOURNAL := artifacts/journal/wave-1
DEMO_KOMMUNEN := kommune-a kommune-b
demo: lab
	@export ANSIBLE_CALLBACKS_ENABLED=kommunal.umzug.report,kommunal.umzug.progress UMZUG_WAIVER_FILE=$(CURDIR)/lab/waivers.yml; \
	todo=$$($(VENV)/python lab/demo_state.py $(DEMO_JOURNAL) $(DEMO_KOMMUNEN)) || exit $$?; \
	status=0; \
	if [ -z "$$todo" ]; then \
	  echo "== Welle 1: every Kommune was accepted before; nothing left to do (afresh: make lab-down && make lab)"; \
	else \
	  limit=$$(echo $$todo | tr ' ' ','); \
	  phases=$$($(VENV)/python lab/demo_state.py --phases) || exit $$?; \
	  for phase in $$phases; do \
	    echo "== Welle 1: $$phase ($$limit)"; \
	    $(WAVE_DEMO) --limit $$limit -e wave_phase=$$phase; status=$$?; \
	    if [ $$phase = dryrun ]; then \
	      echo "== Dry-run verdicts:"; $(VENV)/python lab/demo_state.py --verdicts artifacts/reports/latest-dry-run/report.json; fi; \
	    if [ $$status != 0 ]; then echo "== Welle 1: $$phase failed (exit $$status)"; break; fi; \
	  done; \
	fi; \
	echo; \
	echo "Reports:  $(CURDIR)/artifacts/reports/latest/report.html (the last phase run)"; \
	echo "          $(CURDIR)/artifacts/reports/latest-dry-run/report.html (the dry run)"; \
	echo "          every run: $(CURDIR)/artifacts/reports/<run id>/report.{html,json}"; \
	echo "Journal:  $(CURDIR)/$(DEMO_JOURNAL)/"; \
	exit $$status

lint: sanity
	$(VENV)/yamllint --strict .
	$(VENV)/ruff check .
	$(VENV)/ansible-lint --profile production

# `ansible-test sanity`, what collection certification runs, on what the collection ships:
# the tarball `make build` makes (galaxy.yml's build_ignore leaves out tests, lab tooling,
# molecule; ruff and yamllint above read those), unpacked where ansible-test wants it, at a
# path ending in ansible_collections/kommunal/umzug. Every test that applies runs. (pslint and
# shellcheck have nothing to read while no .ps1 or .sh file ships; pwsh and shellcheck are not
# installed here, and ansible-test would only warn and skip them once such a file comes.)
# ansible-test bootstraps pip in its venvs with a script it downloads from ansible's CI file
# host, which these machines cannot reach; a stand-in that installs the pip Python bundles
# sits where it looks first (pip 24.2 is what ansible-core 2.19's ansible-test asks for; an
# existing file is left alone). The tests' own requirements then come from PyPI.
# The copy lies inside this checkout, where git ignores it; ansible-test lists the files of the
# git repository around it, so the copy is made a repository of its own (git init, nothing
# committed: ansible-test reads untracked files too).
# ANSIBLE_CONFIG is unset so that the checkout's ansible.cfg (collections_path ./collections)
# does not put this checkout in front of the copy under test.
SANITY_ROOT := $(CURDIR)/.sanity
SANITY_COLLECTION := $(SANITY_ROOT)/ansible_collections/kommunal/umzug
GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
sanity: bootstrap
	@set -e; rm -rf $(SANITY_ROOT); mkdir -p $(SANITY_COLLECTION) $(dir $(GET_PIP)); \
	test -e $(GET_PIP) || echo 'import ensurepip, sys; sys.exit(ensurepip._main(["--upgrade", "--default-pip"]) or 0)' >$(GET_PIP); \
	$(VENV)/ansible-galaxy collection build --force --output-path $(SANITY_ROOT) >/dev/null; \
	tar -xzf $(SANITY_ROOT)/kommunal-umzug-*.tar.gz -C $(SANITY_COLLECTION); \
	git init -q $(SANITY_COLLECTION); \
	cd $(SANITY_COLLECTION) && env -u ANSIBLE_CONFIG $(CURDIR)/$(VENV)/ansible-test sanity --local --python 3.11 --color no

unit: bootstrap
	$(VENV)/pytest tests/unit

# Each scenario's leftovers of an earlier run are destroyed first (the podman driver's
# destroy also removes the scenario network); with none (lab/umzug_lab.py
# molecule-leftovers: no container, network or created state) Molecule's destroy is skipped,
# as on a new machine; then the network is made with the subnet the scenario names
# (Molecule's schema has no place for one); then the scenario runs from `create` on.
# Its ephemeral folder lies in this checkout (.lab/molecule/run/<scenario>), testinfra
# writes a JUnit file (.lab/molecule/results/<scenario>.xml). A failed scenario is not
# destroyed before its evidence is kept: the ephemeral folder, each host's journal and
# umzug's and Samba's folders go to .lab/molecule/failed/<scenario>, and the failed tests
# are printed last, where the tail of a CI log shows them.
MOLECULE_STATE := $(CURDIR)/.lab/molecule
molecule: images
	@set -e; for s in $(SCENARIOS); do \
	  echo "== molecule scenario $$s"; \
	  start=$$(date +%s); \
	  export MOLECULE_EPHEMERAL_DIRECTORY=$(MOLECULE_STATE)/run/$$s; \
	  left=0; $(VENV)/python lab/umzug_lab.py molecule-leftovers $$s || left=$$?; \
	  if [ $$left = 0 ]; then $(VENV)/molecule destroy -s $$s >/dev/null; elif [ $$left != 1 ]; then exit $$left; fi; \
	  rm -f $(MOLECULE_STATE)/results/$$s.xml; mkdir -p $(MOLECULE_STATE)/results; \
	  $(VENV)/python lab/umzug_lab.py molecule-network $$s; \
	  if ! PYTEST_ADDOPTS="-rfE --junitxml=$(MOLECULE_STATE)/results/$$s.xml" \
	       $(VENV)/molecule test -s $$s --destroy=never; then \
	    $(VENV)/python lab/umzug_lab.py molecule-evidence $$s || true; \
	    $(VENV)/molecule destroy -s $$s >/dev/null 2>&1 || true; \
	    exit 1; \
	  fi; \
	  $(VENV)/molecule destroy -s $$s >/dev/null; \
	  echo "== molecule scenario $$s passed in $$(( $$(date +%s) - start )) s"; \
	done

test: lint unit lab-fresh molecule

build: bootstrap
	$(VENV)/ansible-galaxy collection build --force

clean:
	rm -rf .pytest_cache .ruff_cache .sanity kommunal-umzug-*.tar.gz
