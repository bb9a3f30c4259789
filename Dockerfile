# Builds the manager image. Needs BuildKit (the default builder of current Docker releases): the
# builder stage runs on the build platform and cross-compiles for the target platform, so
# multi-platform builds (make docker-buildx) need no emulation.
#
# GO_IMAGE can be overridden to build from a mirror. Its Go is the toolchain the Makefile pins.
ARG GO_IMAGE=golang:1.27.3

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev

WORKDIR /workspace
# Download modules in their own layer, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

# Go sources only (.dockerignore filters the rest).
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/manager ./cmd/manager

# The smallest distroless base there is: an empty image holding the static binary and the CA
# bundle it needs for HTTPS to JumpCloud. No shell, no package manager; runs as a non-root user.
FROM scratch
WORKDIR /
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/manager /manager
USER 65532:65532

ENTRYPOINT ["/manager"]
