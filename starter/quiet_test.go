package starter_test

import "time"

// quietWindow lets d pass so that anything that should not happen (a
// repeat delivery, a stray message) has the time to happen before the test
// counts. It never waits for an event: waits for events block on it or
// poll a condition (inbox.waitFor, waitUntil). A busy machine only makes a
// window less strict, never makes a test fail.
func quietWindow(d time.Duration) { time.Sleep(d) }
