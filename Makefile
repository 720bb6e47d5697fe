# signatory-registry: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := tesseract-ocr tesseract-ocr-swe tesseract-ocr-osd poppler-utils \
	fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-crosextra-carlito \
	fonts-dkg-handwriting fonts-breip fonts-femkeklaver fonts-rufscript \
	fonts-dancingscript fonts-kaushanscript fonts-humor-sans fonts-comic-neue \
	fonts-crosextra-caladea fonts-linuxlibertine fonts-urw-base35 \
	fonts-sjfonts fonts-tlwg-purisa-ttf fonts-klee fonts-yusei-magic \
	fonts-kristi fonts-joscelyn fonts-leckerli-one fonts-lobster fonts-ecolier-court \
	chromium wrk dovecot-imapd openssl

.PHONY: run test bench lint deps apt venv lock migrate samples services screenshots clean \
	docker-base docker docker-check

apt:  ## system packages (Debian); skipped when all are present
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Installs come from requirements.lock (exact versions with their hashes), never from
# whatever is newest today; `make lock` refreshes it from pyproject.toml's ranges.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

lock: venv  ## re-resolve requirements.lock from requirements.in / pyproject.toml (uv)
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile requirements.in --python-version 3.11 --generate-hashes \
	  --no-emit-package signatory-registry -o requirements.lock
	@# the image's runtime part: the same pins, without the dev tools
	$(VENV)/bin/uv pip compile pyproject.toml --extra fast --python-version 3.11 --generate-hashes \
	  -c requirements.lock --no-emit-package signatory-registry -o docker/requirements.lock

venv: $(VENV)/.installed

deps: apt venv

migrate: deps
	$(VENV)/bin/signreg migrate

run: deps migrate  ## web + watcher + workers on SQLite, inbox ./inbox, http://127.0.0.1:8000
	$(VENV)/bin/signreg run

services:  ## PostgreSQL for the tests (127.0.0.1:5432): started if installed but down
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

test: deps services  ## the whole suite: unit, SQLite and PostgreSQL, Chromium browser tests
	CI=$${CI:-1} $(VENV)/bin/pytest -q

bench: deps  ## accuracy and speed, side by side with the naive baseline (an hour or more)
	$(PY) -m tests.bench.extraction
	$(PY) -m tests.bench.soak
	$(PY) -m tests.bench.api
	$(PY) -m tests.bench.review
	$(PY) -m tests.bench.fuzz --count 20000 --seconds 600
	$(PY) -m tests.bench.mail
	$(PY) -m tests.bench.codes
	$(PY) -m tests.bench.photos
	$(PY) -m tests.bench.handwriting --count 300 --seed 4

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy ocr registry ingest api
	$(PY) -m api.messages

# Images built from Debian's own packages, for machines that can pull no image: a
# bookworm base made by debootstrap and `docker import`, the app, and PostgreSQL 15.
SIGNREG_BASE ?= signreg-base:bookworm
SIGNREG_IMAGE ?= signatory-registry:latest
SIGNREG_PG_IMAGE ?= signatory-registry-postgres:15

docker-base:  ## the base image (skipped when it exists)
	@docker image inspect $(SIGNREG_BASE) >/dev/null 2>&1 || { \
	  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap; \
	  root=$$(mktemp -d); \
	  debootstrap --variant=minbase bookworm $$root/rootfs http://deb.debian.org/debian >/dev/null \
	  && tar -C $$root/rootfs -c . | docker import - $(SIGNREG_BASE); rm -rf $$root; }

docker: docker-base  ## the app image and the PostgreSQL image, on that base
	@# a network whose HTTPS passes a proxy with its own CA: its bundle, for pip in the build stage
	@if [ -f /etc/ssl/certs/ca-certificates.crt ]; then cp /etc/ssl/certs/ca-certificates.crt docker/extra-ca.crt; fi
	docker build -q -f docker/Dockerfile --build-arg BASE=$(SIGNREG_BASE) -t $(SIGNREG_IMAGE) .
	docker build -q -f docker/postgres/Dockerfile --build-arg BASE=$(SIGNREG_BASE) -t $(SIGNREG_PG_IMAGE) .

docker-check:  ## build, then compose up (PostgreSQL, web, 2 workers), a scan in, a proposal out
	bash docker/check.sh

screenshots: deps  ## docs/queue.png, docs/proposal.png, docs/embed.png from the current code
	$(PY) -m tests.e2e.screenshots

samples: venv
	$(PY) -m samples.generate --out samples/out --count 40 --seed 1
