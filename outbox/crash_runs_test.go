//go:build !stress

package outbox_test

// defaultCrashRuns is the number of relay processes the crash matrix
// kills; `go test -tags stress` runs the longer variant.
const defaultCrashRuns = 24
