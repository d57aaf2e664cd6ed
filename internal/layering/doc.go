// Package layering holds no code: its test enforces the direction of
// imports that docs/architecture.md describes (inputs → documents →
// engine → assessments → reports), so that a shortcut between layers
// fails the build's tests instead of slipping in.
package layering
