# kvguard's container image: a static binary on an empty base, run as a
# non-root user, with the CA certificates live scans need to reach Azure.
# The image scans /src by default: mount the code there.
#
#   docker build -t kvguard .
#   docker run --rm -v "$PWD:/src:ro" kvguard                      # kvguard scan /src
#   docker run --rm -v "$PWD:/src" kvguard scan /src --format sarif -o /src/kvguard.sarif

# The Go version follows go.mod's go directive (TestDockerfile checks it).
FROM golang:1.26 AS build
WORKDIR /build
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: a static binary that needs no libc in the image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kvguard ./cmd/kvguard

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/kvguard /usr/local/bin/kvguard
# 65532: the conventional "nonroot" user; the scratch image has no passwd
# file, so it is given by number.
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/kvguard"]
CMD ["scan", "/src"]
