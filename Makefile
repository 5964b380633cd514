# BitBarrier: `make demo` certifies a bundled example and writes a report; `make test` runs the tests.
SHELL := /bin/bash
SWIFT ?= swift
BIN = .build/release/bitbarrier
EXAMPLE = Examples/digits-mlp
APT_PACKAGES = libglpk-dev libopenblas-dev

.PHONY: all setup build release demo samples test references benchmark vnncomp clean

all: build

# Installs the system libraries BitBarrier links (OpenBLAS; GLPK for the LP/MILP methods).
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq $$missing; fi; \
	fi

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release --product bitbarrier

# Certifies the bundled digits MLP and writes its results under Reports/demo/.
demo: release
	@mkdir -p Reports/demo
	$(BIN) inspect $(EXAMPLE)/model.onnx
	$(BIN) eval $(EXAMPLE)/model.onnx --data $(EXAMPLE)/test.csv --json Reports/demo/eval.json > /dev/null
	$(BIN) certify $(EXAMPLE)/model.onnx --data $(EXAMPLE)/test.csv --limit 20 --method crown \
		--eps 0.01,0.02,0.05 --attack --json Reports/demo/certify.json --report Reports/demo \
		--min-certified-accuracy 0.9 --at-eps 0.01
	@echo "wrote Reports/demo/: certify.json, report.md, report.html (open it in a browser), junit.xml"

# Regenerates the committed sample outputs under Reports/samples/.
samples: release
	$(BIN) eval $(EXAMPLE)/model.onnx --data $(EXAMPLE)/test.csv --json Reports/samples/digits-mlp-eval.json > /dev/null
	for m in crown lp milp; do \
		$(BIN) certify $(EXAMPLE)/model.onnx --data $(EXAMPLE)/test.csv --limit 20 --method $$m --jobs 1 \
			--eps 0.01,0.02,0.05 --attack --max-radius 0.3 --json Reports/samples/digits-mlp-certify-$$m.json > /dev/null; \
	done
	$(BIN) report Reports/samples/digits-mlp-certify-crown.json Reports/samples/digits-mlp-certify-milp.json \
		--out Reports/samples/digits-mlp --min-certified-accuracy 0.9 --at-eps 0.01
	$(BIN) compare $(EXAMPLE)/model.onnx Examples/digits-mlp-int8/model_qdq.onnx --data $(EXAMPLE)/test.csv --limit 30 \
		--eps 0.01,0.02 --attack --max-radius 0.3 --jobs 1 --json Reports/samples/digits-fp32-vs-int8.json \
		> Reports/samples/digits-fp32-vs-int8.txt
	$(BIN) absorb Examples/digits-mlp-int8/model_qdq.onnx --data $(EXAMPLE)/test.csv --limit 30 --eps 0.001 \
		--json Reports/samples/digits-int8-absorb.json > /dev/null
	$(BIN) absorb Examples/digits-cnn/model_qdq.onnx --data Examples/digits-cnn/test.csv --limit 30 --eps 0.001 \
		--json Reports/samples/digits-cnn-int8-absorb.json > /dev/null
	$(BIN) report Reports/samples/digits-fp32-vs-int8.json Reports/samples/digits-int8-absorb.json \
		Reports/samples/digits-cnn-int8-absorb.json --out Reports/samples/digits-fp32-vs-int8

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test-output.txt; exit $${PIPESTATUS[0]}

# Regenerates the onnxruntime reference outputs and fixture models (needs Python: onnx, onnxruntime).
references:
	python3 Scripts/make_references.py
	python3 Scripts/make_fixtures.py

benchmark: release
	python3 Scripts/benchmark.py

# ACAS Xu (186 instances) against the published reference verdicts (about 4 minutes).
vnncomp: release
	python3 Scripts/vnncomp_benchmark.py ../shared/benchmarks/vnncomp2021/acasxu/acasxu_instances.csv --timeout 60

clean:
	rm -rf .build
