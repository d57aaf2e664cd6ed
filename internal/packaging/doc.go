// Package packaging holds the tests of kvguard's release artefacts: the
// container image (Dockerfile) and the release binaries (.goreleaser.yaml).
// It has no code: what it checks lives at the repository's top.
package packaging
