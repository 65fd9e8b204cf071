package client

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// The official client runs in some tests (as the oracle): VerifyMain gives
// the binary a temporary HOME, silences that client's logger, and ignores
// only the goroutines it leaves behind by design.
func TestMain(m *testing.M) { clienttest.VerifyMain(m) }
