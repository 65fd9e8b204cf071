package inbox_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// TestMain fails the tests when goroutines outlive them; TestKeyOf runs
// the official client too, whose leftovers clienttest ignores.
func TestMain(m *testing.M) { clienttest.VerifyMain(m) }
