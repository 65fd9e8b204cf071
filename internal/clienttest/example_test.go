package clienttest_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"go.uber.org/goleak"
)

// A test binary that drives the official client, with the leak check.
func ExampleVerifyMain() {
	_ = func(m *testing.M) { clienttest.VerifyMain(m) }
}

// The leak check's options, for a binary that keeps its HOME.
func ExampleGoleakOptions() {
	_ = func(m *testing.M) { goleak.VerifyTestMain(m, clienttest.GoleakOptions()...) }
}
