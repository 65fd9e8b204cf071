package main

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// The admin, bench and demo tests drive the official client. clienttest
// routes the client's logs for the whole test binary; the commands run
// in-process must leave them alone (see routeClientLogs).
func TestMain(m *testing.M) {
	clientLogs.Do(func() {})
	clienttest.VerifyMain(m)
}
