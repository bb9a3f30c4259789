# Image to build, push and deploy. Set it to your own repository, e.g. make docker-build IMG=<registry>/jumpcloud-operator:v0.1.0
IMG ?= jumpcloud-operator:latest
# Version stamped into the binaries (main.Version) and the image.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Platforms for docker-buildx.
PLATFORMS ?= linux/amd64,linux/arm64
# CONTAINER_TOOL builds and pushes images; podman works for docker-build and docker-push too.
CONTAINER_TOOL ?= docker

# Extra arguments for `make run`, e.g. make run RUN_ARGS="--default-deletion-policy=Orphan".
RUN_ARGS ?=
# Fuzz targets as pkg:FuzzName pairs; empty means every Fuzz function found in the module's tests.
FUZZ_TARGETS ?=
# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 5s

GO_LDFLAGS := -X main.Version=$(VERSION)

# The Go toolchain every target uses: go1.27.3, which has the standard library's security fixes
# that go1.26.8 lacks (make vuln). The go command fetches it from the Go module proxy on first use
# (about 76 MB) and caches it; go.mod's toolchain line names the same version for plain go
# commands. Override with make GOTOOLCHAIN=local to use the Go on PATH.
GOTOOLCHAIN := go1.27.3
export GOTOOLCHAIN

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the ClusterRole (config/rbac/role.yaml) and the CRDs (config/crd/bases).
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate the DeepCopy methods of the API types.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (linters and formatters from .golangci.yml).
	"$(GOLANGCI_LINT)" run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply its fixes and formatting.
	"$(GOLANGCI_LINT)" run --fix

.PHONY: test
test: manifests generate fmt vet ## Run unit and envtest suites (with coverage), then each fuzz target briefly.
	assets="$$(hack/envtest.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" go test $$(go list ./... | grep -v /test/crd$$) -coverprofile cover.out && \
	echo "=== The API, case by case (test/crd): each invalid manifest and the apiserver's message" && \
	KUBEBUILDER_ASSETS="$$assets" go test ./test/crd/ -count=1 -v -args -ginkgo.v -ginkgo.no-color \
		| grep -E '^(Invalid manifests|The samples|A resource)|rejected as expected|^(Ran |SUCCESS|FAIL|PASS|ok )|FAILED|Expected|to contain'
	$(MAKE) --no-print-directory fuzz

.PHONY: demo
demo: ## Run the whole system locally (control plane, JumpCloud simulator, operator) with the samples; Ctrl-C ends it.
	go run ./hack/demo

# Where `make bench` writes its results, and extra arguments for it (go run ./hack/bench -h).
BENCH_OUT ?= bin/bench.json
BENCH_ARGS ?=

.PHONY: bench
bench: ## Measure what the operator costs JumpCloud (hack/bench; ~25 min): creates, steady state bulk and per-resource, latency, memory, change feed. Writes BENCH_OUT, prints a table.
	assets="$$(hack/envtest.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" go run ./hack/bench -out "$(BENCH_OUT)" $(BENCH_ARGS)

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (all Fuzz functions, or FUZZ_TARGETS="pkg:FuzzName ...").
	@targets="$(FUZZ_TARGETS)"; \
	if [ -z "$$targets" ]; then \
		targets="$$(go list -f '{{$$p := .ImportPath}}{{range .TestGoFiles}}{{$$p}} {{$$.Dir}}/{{.}}{{"\n"}}{{end}}{{range .XTestGoFiles}}{{$$p}} {{$$.Dir}}/{{.}}{{"\n"}}{{end}}' ./... \
			| while read -r pkg file; do sed -n "s|^func \(Fuzz[A-Za-z0-9_]*\)(.*|$$pkg:\1|p" "$$file"; done)"; \
	fi; \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 0; fi; \
	for target in $$targets; do \
		pkg="$${target%:*}"; name="$${target##*:}"; \
		echo "fuzz: $$name ($$pkg) for $(FUZZTIME)"; \
		go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
	done

.PHONY: test-race
test-race: ## Run the controller suites (envtest and the simulator) with the race detector.
	assets="$$(hack/envtest.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" go test -race -count=1 ./internal/controller/...

.PHONY: chaos
chaos: ## Run the chaos suite (test/chaos): 300 users, 100 operations, injected faults, manager SIGKILLs; prints the figures. CHAOS_SEED=N replays a run's choices.
	assets="$$(hack/envtest.sh)"; \
	CHAOS=1 KUBEBUILDER_ASSETS="$$assets" go test -count=1 -v -timeout 20m ./test/chaos/

.PHONY: vuln
vuln: ## Check the code for known vulnerabilities: govulncheck against a local copy of the Go vulnerability database (hack/vulncheck.sh).
	hack/vulncheck.sh

.PHONY: verify
verify: manifests generate fmt ## Regenerate, tidy and format, then fail if the tree differs from git (commit first).
	go mod tidy
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "verify: the working tree is not clean after make manifests generate fmt and go mod tidy."; \
		echo "verify: regenerate, commit the result, and run make verify again."; \
		git status --porcelain; \
		git --no-pager diff; \
		exit 1; \
	fi

.PHONY: envtest
envtest: ## Build (or reuse) kube-apiserver, etcd and kubectl for envtest; print their directory.
	@hack/envtest.sh

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build every program under cmd/ into bin/ (manager, jumpcloud-sim, ...).
	go build -ldflags "$(GO_LDFLAGS)" -o bin/ ./cmd/...

.PHONY: run
run: manifests generate fmt vet install ## Install the CRDs and run the manager against the current kubeconfig.
	go run -ldflags "$(GO_LDFLAGS)" ./cmd/manager $(RUN_ARGS)

# Needs BuildKit (the default builder of current Docker releases): the Dockerfile cross-compiles on
# the build platform, so docker-buildx needs no emulation.
.PHONY: docker-build
docker-build: ## Build the manager image IMG.
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the manager image IMG.
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: docker-buildx
docker-buildx: ## Build and push IMG for PLATFORMS (linux/amd64,linux/arm64) with docker buildx.
	$(CONTAINER_TOOL) buildx inspect jumpcloud-operator-builder >/dev/null 2>&1 || \
		$(CONTAINER_TOOL) buildx create --name jumpcloud-operator-builder
	rc=0; \
	$(CONTAINER_TOOL) buildx build --builder jumpcloud-operator-builder --push --platform=$(PLATFORMS) \
		--build-arg VERSION=$(VERSION) --tag $(IMG) . || rc=$$?; \
	$(CONTAINER_TOOL) buildx rm jumpcloud-operator-builder; \
	exit $$rc

.PHONY: build-installer
build-installer: manifests generate kustomize ## Write dist/install.yaml: CRDs, RBAC and the Deployment running IMG.
	mkdir -p dist
	$(call kustomize-build-default) > dist/install.yaml.tmp
	mv dist/install.yaml.tmp dist/install.yaml

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster of the current kubeconfig.
	out="$$("$(KUSTOMIZE)" build config/crd)"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" apply --server-side -f -; else echo "No CRDs to install."; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the CRDs (and so every resource of them). ignore-not-found=true ignores missing ones.
	out="$$("$(KUSTOMIZE)" build config/crd)"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -; else echo "No CRDs to delete."; fi

.PHONY: deploy
deploy: manifests kustomize ## Deploy CRDs, RBAC and the manager running IMG to the cluster of the current kubeconfig.
	$(call kustomize-build-default) | "$(KUBECTL)" apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Remove what deploy created. ignore-not-found=true ignores missing resources.
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -

# kustomize-build-default builds config/default with the manager image set to IMG. It edits a copy of
# config/ so that deploying or packaging an image never leaves a change in the work tree.
define kustomize-build-default
tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
cp -R config "$$tmp/"; \
(cd "$$tmp/config/manager" && "$(KUSTOMIZE)" edit set image controller=$(IMG)); \
"$(KUSTOMIZE)" build "$$tmp/config/default"
endef

##@ Dependencies

## Location to install tools to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool binaries
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
# kubectl from PATH, else the one hack/envtest.sh builds (expanded only when a target needs it).
KUBECTL ?= $(or $(shell command -v kubectl 2>/dev/null),$(shell hack/envtest.sh)/kubectl)

## Tool versions
# kustomize v5.8.3 and later need a newer Go than go.mod's toolchain.
KUSTOMIZE_VERSION ?= v5.8.2
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0

.PHONY: toolchain
toolchain: ## Fetch the pinned Go toolchain (GOTOOLCHAIN) if necessary and print its version.
	go version

.PHONY: tools
tools: kustomize controller-gen golangci-lint ## Install every pinned tool into bin/.

# The tool targets are phony: go-install-tool itself sees whether the pinned version is in place.
.PHONY: kustomize
kustomize: | $(LOCALBIN) ## Install kustomize into bin/ if necessary.
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: | $(LOCALBIN) ## Install controller-gen into bin/ if necessary.
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: | $(LOCALBIN) ## Install golangci-lint into bin/ if necessary.
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool 'go install's a package at a version into LOCALBIN as NAME-VERSION-TOOLCHAIN and
# points the symlink NAME at it, so that bumping a version or the Go toolchain installs it again
# (golangci-lint must be built by a Go at least as new as the one whose code it reads).
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)-$(GOTOOLCHAIN)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)-$(GOTOOLCHAIN)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Installing $${package} with $(GOTOOLCHAIN)" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)-$(GOTOOLCHAIN)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)-$(GOTOOLCHAIN)")" "$(1)"
endef

# Shipping targets (image, Helm chart, dashboards and alerts, release) live in hack/make/*.mk.
-include hack/make/*.mk
