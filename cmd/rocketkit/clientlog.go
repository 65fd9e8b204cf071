package main

import (
	"log/slog"
	"sync"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// clientLogs makes routeClientLogs act once per process.
var clientLogs sync.Once

// routeClientLogs sends the official client's logs to l (nil discards
// them). Only the first call in a process has an effect: a process (a
// test binary) may run several commands, and the test binary's TestMain
// routes the records to the test's logger first.
func routeClientLogs(l *slog.Logger) {
	clientLogs.Do(func() { clientlog.Route(l) })
}
