//go:build !race

package starter

import "time"

const (
	settleTime = 200 * time.Millisecond
	quietTime  = 100 * time.Millisecond
	// waitEmbeddedQuiet: see listenerSet.stop.
	waitEmbeddedQuiet = false
)
