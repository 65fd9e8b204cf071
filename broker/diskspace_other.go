//go:build !linux

package broker

// diskSpace is only measured on Linux; elsewhere runtime info reports the
// disk ratio as -1, as Java does for a path it cannot measure.
func diskSpace(string) (total, free int64, ok bool) { return 0, 0, false }
