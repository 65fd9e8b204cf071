package main

import (
	"log/slog"
	"sync"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// clientLogs makes routeClientLogs act once per process.
var clientLogs sync.Once

// routeClientLogs sends the official client's logs to l (nil discards
// them). Only the first call in a process has an effect: the client reads
// its logger without synchronisation, so it must not change once a client
// has run, and a process (or a test binary) may run several commands.
func routeClientLogs(l *slog.Logger) {
	clientLogs.Do(func() { clientlog.Route(l) })
}
