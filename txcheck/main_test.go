package txcheck_test

import (
	"os"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// helperEnv selects a helper mode of the test binary (crash_test.go).
const helperEnv = "TXCHECK_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	clienttest.VerifyMain(m)
}
