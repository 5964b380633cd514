# BitBarrier: `make demo` certifies a bundled example and writes a report; `make test` runs the tests.
SHELL := /bin/bash
SWIFT ?= swift
BIN = .build/release/bitbarrier
EXAMPLE = Examples/digits-mlp
APT_PACKAGES = libglpk-dev libopenblas-dev

.PHONY: all setup build release demo samples examples test references benchmark vnncomp clean

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

# Issue 8's question on the bundled example families: FP32 vs int8 (post-training) vs
# Lipschitz-regularised FP32 vs Lipschitz + quantization-aware int8, certified on the same inputs.
# Regenerates Reports/examples/ (identical files on a rerun: --reproducible).
EXAMPLE_EPS = 0.001,0.005,0.01,0.02
STUDY = $(BIN) study --reproducible --attack --eps $(EXAMPLE_EPS) --absorb-eps 0.001 --max-radius 0.3 --tolerance 0.01 --jobs 2
examples: release
	@mkdir -p Reports/examples
	for fam in mnist-mlp mnist-cnn; do d=Examples/$$fam; \
		$(STUDY) --data $$d/test.csv --limit 50 \
			--variant fp32=$$d/model_fp32.onnx --variant int8-ptq=$$d/model_int8_ptq_qdq.onnx \
			--variant int8-ptq-qop=$$d/model_int8_ptq_qop.onnx \
			--variant fp32-lip=$$d/model_fp32_lip.onnx --variant int8-qat-lip=$$d/model_int8_qat_lip_qdq.onnx \
			--pair fp32,int8-ptq --pair fp32,fp32-lip --pair fp32-lip,int8-qat-lip --pair int8-ptq,int8-qat-lip --pair fp32,int8-qat-lip \
			--json Reports/examples/$$fam.json --markdown Reports/examples/$$fam.md > /dev/null || exit 1; \
	done
	$(STUDY) --data Examples/digits-mlp/test.csv --limit 50 --variant fp32=Examples/digits-mlp/model.onnx \
		--variant int8-ptq=Examples/digits-mlp-int8/model_qdq.onnx --variant int8-ptq-qop=Examples/digits-mlp-int8/model_qop.onnx \
		--json Reports/examples/digits-mlp.json --markdown Reports/examples/digits-mlp.md > /dev/null
	{ cat Examples/examples-summary-preamble.md; for f in mnist-mlp mnist-cnn digits-mlp; do echo; sed 's/^#/##/' Reports/examples/$$f.md; done; } > Reports/examples/SUMMARY.md
	@echo "wrote Reports/examples/: SUMMARY.md and one .json/.md per family"

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
# Issue 7's scoreboard: ACAS Xu (186, 116 s each) and mnist_fc 2022 (90, the CSV's 120/300 s;
# hours on two cores: `make vnncomp VNNCOMP_TIMEOUT=60` caps every instance), with the published
# figures of alpha-beta-CROWN, nnenum and the other tools on the same instances.
VNNCOMP_TIMEOUT ?=
vnncomp: release
	@mkdir -p Reports/vnncomp
	python3 Scripts/vnncomp_benchmark.py ../shared/benchmarks/vnncomp2021/acasxu/acasxu_instances.csv \
		--timeout $(or $(VNNCOMP_TIMEOUT),116) --csv Reports/vnncomp/acasxu.csv | tee Reports/vnncomp/acasxu.txt
	python3 Scripts/vnncomp_benchmark.py ../shared/benchmarks/vnncomp2022/mnist_fc/instances.csv \
		$(if $(VNNCOMP_TIMEOUT),--timeout $(VNNCOMP_TIMEOUT)) --csv Reports/vnncomp/mnist_fc.csv | tee Reports/vnncomp/mnist_fc.txt

clean:
	rm -rf .build
