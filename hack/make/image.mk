# The manager image built with Go tooling only (hack/image): no Docker engine, no base image to
# pull. It is the image the Dockerfile defines: the static manager on an empty base with the CA
# bundle, running as 65532:65532; test/image checks it (make test). docker-build and docker-buildx
# remain for machines with Docker.

##@ Image (no Docker engine)

# Where make image writes image/ (the OCI layout) and the per-platform tarballs.
IMAGE_OUT ?= dist

# hack/image's arguments.
IMAGE_ARGS = -out "$(IMAGE_OUT)" -platforms "$(PLATFORMS)" -tag "$(IMG)" -version "$(VERSION)" -ldflags "-s -w $(GO_LDFLAGS)"
# What the image in IMAGE_OUT was built from (image-inputs), written by make image.
IMAGE_STAMP = $(IMAGE_OUT)/image.inputs

.PHONY: image
image: ## Build the manager image for PLATFORMS without Docker: OCI layout IMAGE_OUT/image (one multi-arch index), IMAGE_OUT/image-linux-ARCH.tar (docker load, kind load image-archive).
	@mkdir -p "$(IMAGE_OUT)" && rm -f "$(IMAGE_STAMP)" && $(call image-inputs) > "$(IMAGE_STAMP).tmp"
	go run ./hack/image $(IMAGE_ARGS)
	@mv "$(IMAGE_STAMP).tmp" "$(IMAGE_STAMP)"

# test/install runs the manager out of IMAGE_OUT/image, so make test needs a current image.
test: image-current

.PHONY: image-current
image-current: ## Run make image unless IMAGE_OUT/image was built with the same arguments and Go toolchain from the same, unchanged files.
	@stamp="$(IMAGE_STAMP)"; \
	if [ -f "$$stamp" ] && [ -f "$(IMAGE_OUT)/image/index.json" ] && \
		$(call image-inputs) | cmp -s - "$$stamp" && \
		! ( while read -r f; do if [ -f "$$f" ] && [ "$$f" -nt "$$stamp" ]; then exit 0; fi; done < "$$stamp"; exit 1 ); then \
		echo "image-current: $(IMAGE_OUT)/image is current"; \
	else \
		$(MAKE) --no-print-directory image; \
	fi

# image-inputs prints what an image build depends on: hack/image's arguments, the Go toolchain, and
# every file of this module that the manager and hack/image are built from (whatever the platform),
# with go.mod and go.sum. make image stores it in IMAGE_STAMP before it builds, so that a file
# changed during the build is newer than the stamp.
define image-inputs
{ echo '$(IMAGE_ARGS)'; go env GOVERSION GOFLAGS; \
go list -deps -f '{{if and .Module .Module.Main}}{{range .GoFiles}}{{$$.Dir}}/{{.}}{{"\n"}}{{end}}{{range .IgnoredGoFiles}}{{$$.Dir}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$$.Dir}}/{{.}}{{"\n"}}{{end}}{{end}}' ./cmd/manager ./hack/image; \
echo go.mod; echo go.sum; }
endef

.PHONY: image-push
image-push: crane ## Push IMAGE_OUT/image (every platform, one index) to IMG with crane; registry credentials from ~/.docker/config.json (crane auth login).
	"$(CRANE)" push "$(IMAGE_OUT)/image" "$(IMG)"

CRANE ?= $(LOCALBIN)/crane
# The go-containerregistry release go.mod requires, so the CLI and hack/image agree.
CRANE_VERSION ?= v0.22.1

.PHONY: crane
crane: | $(LOCALBIN) ## Install crane (go-containerregistry's registry CLI) into bin/ if necessary.
	$(call go-install-tool,$(CRANE),github.com/google/go-containerregistry/cmd/crane,$(CRANE_VERSION))
