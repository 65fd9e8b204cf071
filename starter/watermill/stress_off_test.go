//go:build !stress

package watermill_test

import "time"

// closeStressDuration is how long TestCloseWhilePulling runs; build with
// -tags stress for the long version.
const closeStressDuration = 3 * time.Second
