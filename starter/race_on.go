//go:build race

package starter

import "time"

// Under the race detector the client's unsynchronised shutdown flag (see
// settleTime) is reported whenever a rebalance or pull overlaps Shutdown,
// and a loaded machine makes those slow: wait longer.
const (
	settleTime = time.Second
	quietTime  = 300 * time.Millisecond
	// waitEmbeddedQuiet: see listenerSet.stop.
	waitEmbeddedQuiet = true
)
