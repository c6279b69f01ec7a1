# spectral-cnn — every target a reader can run from a fresh clone.
#   make book                      render the committed record (offline, no execution;
#                                  installs only Jupyter Book, into .venv-book)
#   make test                      fast tests on the TensorFlow and JAX backends (CPU)
#   make test-slow                 the tests marked slow (training runs), both backends
#   make reproduce PROFILE=smoke   execute every chapter with papermill (see book/params/)
#   make check-book                check the smoke execution and the rendered pages
#   make smoke-book                render the smoke execution (_build/smoke) as a book
#   make gpu-image-check           the smoke profile as the GPU machines run it (no TensorFlow)
#   make gpu-record-check          the record's tests as a device call runs them (no TensorFlow)
#   make clean

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= smoke
BACKENDS ?= tensorflow jax
PYTEST_ARGS ?=

.PHONY: book smoke-book test test-slow reproduce check-book gpu-image-check gpu-record-check clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[tensorflow,jax,test,book,search]"
	touch $(STAMP)

# pytest exits 5 when it collects nothing; make treats that as a failure.
# `make test` leaves out the tests marked slow (each over ~5 s: training
# runs, subprocesses); `make test-slow` runs exactly those (CI runs both).
test: $(STAMP)
	@test -n "$$SPECTRAL_DATA_DIR" || echo "note: SPECTRAL_DATA_DIR is not set, so the tests that read the real CIFAR-10 copy are skipped (set it to the folder holding cifar10-jpeg.npz)"
	set -e; for backend in $(BACKENDS); do \
	  echo "== pytest on the $$backend backend"; \
	  KERAS_BACKEND=$$backend HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} \
	    $(BIN)/python -m pytest -m "not notebooks and not slow" -p no:cacheprovider --durations=10 $(PYTEST_ARGS); \
	done

test-slow: $(STAMP)
	set -e; for backend in $(BACKENDS); do \
	  echo "== slow tests on the $$backend backend"; \
	  KERAS_BACKEND=$$backend HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} \
	    $(BIN)/python -m pytest -m "slow and not notebooks" -p no:cacheprovider --durations=10 $(PYTEST_ARGS); \
	done

# Executes every chapter with papermill (see book/params/$(PROFILE).yml).
# smoke -> _build/smoke (never the record); cpu|paper -> the record, published
# to book/*.ipynb and results/$(PROFILE)/ only when every chapter succeeded.
reproduce: $(STAMP)
	$(BIN)/python -m spectral.reproduce --profile $(PROFILE)

# Rendering reads the executed notebooks and runs no code, so it needs only
# Jupyter Book (book/requirements.txt), in a small environment of its own.
BOOK_VENV  ?= .venv-book
BOOK_STAMP := $(BOOK_VENV)/.installed

$(BOOK_STAMP): book/requirements.txt
	test -x $(BOOK_VENV)/bin/python || $(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BOOK_VENV)/bin/python -m pip install --quiet -r book/requirements.txt
	touch $(BOOK_STAMP)

# REPOSITORY_URL=https://github.com/OWNER/REPO (the Pages workflow sets it)
# adds the repository and "open in Colab" buttons to every chapter.
REPOSITORY_URL ?=
BOOK_CONFIG := $(if $(REPOSITORY_URL),--config _build/_config-online.yml,)

book: $(BOOK_STAMP)
	rm -rf _build/html _build/.doctrees
ifneq ($(REPOSITORY_URL),)
	mkdir -p _build
	$(BOOK_VENV)/bin/python -c 'import sys, yaml; c = yaml.safe_load(open("_config.yml")); \
	  c["repository"] = {"url": sys.argv[1], "branch": "main"}; \
	  c["launch_buttons"] = {"colab_url": "https://colab.research.google.com", "notebook_interface": "classic"}; \
	  c["html"]["use_repository_button"] = True; \
	  yaml.safe_dump(c, open("_build/_config-online.yml", "w"), sort_keys=False, allow_unicode=True)' "$(REPOSITORY_URL)"
endif
	$(BOOK_VENV)/bin/jupyter-book build . -W -n --keep-going $(BOOK_CONFIG)
	@echo "The book is at _build/html/index.html"

# Renders the notebooks of `make reproduce PROFILE=smoke` (never the record)
# as a book of its own, at _build/smoke-book/_build/html/index.html.
SMOKE_SRC := _build/smoke-book
smoke-book: $(BOOK_STAMP)
	@test -f _build/smoke/06-laptop-study.ipynb || \
	  { echo "No smoke execution: run make reproduce PROFILE=smoke first"; exit 2; }
	rm -rf $(SMOKE_SRC) && mkdir -p $(SMOKE_SRC)/book
	cp _config.yml _toc.yml $(SMOKE_SRC)/
	cp book/intro.md book/references.bib $(SMOKE_SRC)/book/
	cp _build/smoke/[0-9]*.ipynb $(SMOKE_SRC)/book/
	$(BOOK_VENV)/bin/jupyter-book build $(SMOKE_SRC) -W -n --keep-going
	@echo "The smoke book is at $(SMOKE_SRC)/_build/html/index.html"

# Checks the smoke execution and the rendered pages (headless Chromium);
# run after `make reproduce PROFILE=smoke` and `make book`.
check-book: $(STAMP)
	$(BIN)/python -m pytest -m notebooks -p no:cacheprovider tests/test_book.py

# The smoke profile in a stand-in for the lent GPU machines: Python 3.12 with
# JAX and no TensorFlow, Keras and papermill from the carried wheels only.
gpu-image-check:
	bash .ci/gpu-image-check

gpu-record-check:
	bash .ci/gpu-image-check record

clean:
	rm -rf _build .pytest_cache .hypothesis
