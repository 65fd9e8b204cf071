//go:build stress

package watermill_test

import "time"

// closeStressDuration is how long TestCloseWhilePulling runs.
const closeStressDuration = 60 * time.Second
