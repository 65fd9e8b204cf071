package message

// TagsHashCode returns the "tags code" of tags as the Go client computes it
// for subscription code sets: h = 31*h + b over the UTF-8 bytes (unsigned),
// with int32 wrap-around, returned as int64. It equals Java's
// String.hashCode for ASCII tags (Java hashes UTF-16 units, so non-ASCII
// tags differ from a Java broker; matching the Go client is what matters
// for filtering). "" hashes to 0.
func TagsHashCode(tags string) int64 {
	var h int32
	for i := 0; i < len(tags); i++ {
		h = 31*h + int32(tags[i])
	}
	return int64(h)
}
