package watermill_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// TestMain gives the test binary a temporary HOME (broadcasting consumers
// keep offsets under it) and silences the official client's logger.
func TestMain(m *testing.M) { clienttest.Main(m) }
