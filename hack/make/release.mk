# The release (make release): every program under cmd/ for linux and darwin on amd64 and arm64,
# packed as reproducible .tar.gz archives, with checksums.txt, a CycloneDX SBOM, the krew plugin
# manifest and the packaged Helm chart, all in RELEASE_DIR. hack/release does the work; test/release
# checks it. Included by the Makefile (-include hack/make/*.mk); uses its VERSION, GO_LDFLAGS,
# LOCALBIN and go-install-tool.

##@ Release

# Where make release writes. It first deletes the release files it would write there (archives,
# SBOM, checksums.txt, jumpcloud.yaml), and nothing else.
RELEASE_DIR ?= dist/release
# Where the archives are downloaded from: the krew manifest's uri is RELEASE_URL/<archive name>.
# The default is a placeholder that never resolves (.invalid); a real release sets it, e.g.
# RELEASE_URL=https://github.com/<owner>/jumpcloud-operator/releases/download/$(VERSION)
RELEASE_URL ?= https://example.invalid/jumpcloud-operator/releases/download/$(VERSION)
# The krew manifest's homepage; empty leaves it out.
RELEASE_HOMEPAGE ?=
# The programs under cmd/ and the OS/ARCH pairs to build; fewer make a quick partial release
# (test/release builds RELEASE_PROGRAMS=jumpcloud-sim for two platforms).
RELEASE_PROGRAMS ?= manager jumpcloud-sim kubectl-jumpcloud
RELEASE_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
# Release binaries are static (CGO_ENABLED=0), built with -trimpath, stripped, and stamped with VERSION.
RELEASE_LDFLAGS ?= -s -w $(GO_LDFLAGS)
# The license every archive carries (krew wants one beside the binary): the repository's LICENSE.
RELEASE_LICENSE ?= LICENSE
# The time of every archive entry: the commit's, so that one commit packs to the same bytes anywhere.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# yes packages the Helm chart into RELEASE_DIR with make chart-package (hack/make/helm.mk); the
# default is yes when charts/jumpcloud-operator exists. Without a chart-package target it is skipped.
RELEASE_CHART ?= $(if $(wildcard charts/jumpcloud-operator/Chart.yaml),yes,no)
# yes writes the SBOM (of cmd/manager for linux/amd64) with cyclonedx-gomod.
RELEASE_SBOM ?= yes

CYCLONEDX_GOMOD ?= $(LOCALBIN)/cyclonedx-gomod
CYCLONEDX_GOMOD_VERSION ?= v1.10.0

.PHONY: release
release: $(if $(filter yes,$(RELEASE_SBOM)),cyclonedx-gomod) ## Build the release into RELEASE_DIR (dist/release): a .tar.gz per program/OS/arch, checksums.txt, SBOM, krew manifest, Helm chart.
	@mkdir -p "$(RELEASE_DIR)"
	@cd "$(RELEASE_DIR)" && rm -f ./*.tar.gz ./*.tgz ./*.cdx.json ./checksums.txt ./jumpcloud.yaml
	@if [ "$(RELEASE_CHART)" != yes ]; then \
		echo "release: RELEASE_CHART=$(RELEASE_CHART): the Helm chart is not packaged"; \
	elif ! grep -qs '^chart-package:' $(MAKEFILE_LIST); then \
		echo "release: there is no chart-package target: the Helm chart is not packaged"; \
	else \
		$(MAKE) --no-print-directory chart-package CHART_DIST="$(RELEASE_DIR)"; \
	fi
	go run ./hack/release -out "$(RELEASE_DIR)" -version "$(VERSION)" -ldflags "$(RELEASE_LDFLAGS)" \
		-programs "$(RELEASE_PROGRAMS)" -platforms "$(RELEASE_PLATFORMS)" \
		-license "$(RELEASE_LICENSE)" -epoch "$(SOURCE_DATE_EPOCH)" \
		-release-url "$(RELEASE_URL)" -homepage "$(RELEASE_HOMEPAGE)" \
		-sbom-tool "$(if $(filter yes,$(RELEASE_SBOM)),$(CYCLONEDX_GOMOD))"

.PHONY: cyclonedx-gomod
cyclonedx-gomod: | $(LOCALBIN) ## Install cyclonedx-gomod (the SBOM generator) into bin/ if necessary.
	$(call go-install-tool,$(CYCLONEDX_GOMOD),github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod,$(CYCLONEDX_GOMOD_VERSION))

# krew itself, for test/release: it installs the plugin from jumpcloud.yaml and an archive, as users will.
KREW ?= $(LOCALBIN)/krew
KREW_VERSION ?= v0.4.3

.PHONY: krew
krew: | $(LOCALBIN) ## Install krew into bin/ if necessary (test/release installs the plugin with it).
	$(call go-install-tool,$(KREW),sigs.k8s.io/krew/cmd/krew,$(KREW_VERSION))
