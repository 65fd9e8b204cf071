package main

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
	"go.uber.org/goleak"
)

// TestMain fails the tests when goroutines outlive them, except those the
// official client leaves behind after its Shutdown.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, clienttest.GoleakOptions()...) }
