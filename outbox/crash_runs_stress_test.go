//go:build stress

package outbox_test

// defaultCrashRuns of the stress variant.
const defaultCrashRuns = 120
