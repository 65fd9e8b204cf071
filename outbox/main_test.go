package outbox_test

import (
	"os"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// TestMain runs a helper (a relay killed by a crash test) when the
// environment asks for one, and the tests otherwise.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	clienttest.VerifyMain(m)
}
