package acl_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind (the
// watcher's poll loop).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
