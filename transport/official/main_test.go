package official_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// The official client writes under $HOME and leaves goroutines behind
// after Shutdown: VerifyMain runs the tests with a temporary HOME and
// ignores only those goroutines.
func TestMain(m *testing.M) { clienttest.VerifyMain(m) }
