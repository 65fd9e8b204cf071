package listener_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"go.uber.org/goleak"
)

// TestMain fails the tests when goroutines outlive them; the package links
// the official client, whose package-level goroutines are ignored.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, clienttest.GoleakOptions()...) }
