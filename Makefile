# Two commands are the whole set-up: `make demo` and `make test` each create
# .venv on first use and install skpart into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint docs clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

# The Keras-facing tests run a second time on the JAX backend (tests/conftest.py
# declares what cannot pass there); TensorFlow stays the default.
JAX_TESTS := tests/test_estimators.py tests/test_monitor.py \
	tests/test_monitor_pipeline.py tests/test_objectives.py \
	tests/test_cross_validate_keras.py tests/test_estimator_checks.py \
	tests/test_compat.py skpart/keras \
	"tests/test_examples.py::test_example_runs_and_saves_its_charts[quickstart.py]"

test: $(STAMP)
	$(BIN)/python -m pytest
	KERAS_BACKEND=jax $(BIN)/python -m pytest $(JAX_TESTS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check skpart tests examples benchmarks
	$(BIN)/ruff format --check skpart tests examples benchmarks

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build .pytest_cache
