//go:build !linux

package outbox_test

import "time"

// cpuNow is not measured on this platform.
func cpuNow() (self, db time.Duration) { return 0, 0 }
