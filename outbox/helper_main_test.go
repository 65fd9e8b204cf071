package outbox_test

// helperEnv selects a helper mode of the test binary (see crash_test.go).
const helperEnv = "OUTBOX_TEST_HELPER"

func runHelper(mode string) int {
	return runCrashHelper(mode)
}
