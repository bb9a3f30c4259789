# The manager image built with Go tooling only (hack/image): no Docker engine, no base image to
# pull. It is the image the Dockerfile defines: the static manager on an empty base with the CA
# bundle, running as 65532:65532; test/image checks it (make test). docker-build and docker-buildx
# remain for machines with Docker.

##@ Image (no Docker engine)

# Where make image writes image/ (the OCI layout) and the per-platform tarballs.
IMAGE_OUT ?= dist

.PHONY: image
image: ## Build the manager image for PLATFORMS without Docker: OCI layout IMAGE_OUT/image (one multi-arch index), IMAGE_OUT/image-linux-ARCH.tar (docker load, kind load image-archive).
	go run ./hack/image -out "$(IMAGE_OUT)" -platforms "$(PLATFORMS)" -tag "$(IMG)" \
		-version "$(VERSION)" -ldflags "-s -w $(GO_LDFLAGS)"

.PHONY: image-push
image-push: crane ## Push IMAGE_OUT/image (every platform, one index) to IMG with crane; registry credentials from ~/.docker/config.json (crane auth login).
	"$(CRANE)" push "$(IMAGE_OUT)/image" "$(IMG)"

CRANE ?= $(LOCALBIN)/crane
# The go-containerregistry release go.mod requires, so the CLI and hack/image agree.
CRANE_VERSION ?= v0.22.1

.PHONY: crane
crane: | $(LOCALBIN) ## Install crane (go-containerregistry's registry CLI) into bin/ if necessary.
	$(call go-install-tool,$(CRANE),github.com/google/go-containerregistry/cmd/crane,$(CRANE_VERSION))
