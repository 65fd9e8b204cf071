package message_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestTagsHashCode(t *testing.T) {
	tests := []struct {
		tags string
		want int64
	}{
		{"", 0},
		{"a", 97},
		{"TagA", 2598919},
		{"hello", 99162322},
		{"polygenelubricants", -2147483648}, // Java: Integer.MIN_VALUE
		{"*", 42},
		// Non-ASCII: unsigned UTF-8 bytes as the Go client's HashString
		// (Java would hash the UTF-16 unit 0xE9 and give 233).
		{"é", (0xC3*31 + 0xA9)},
	}
	for _, tt := range tests {
		if got := message.TagsHashCode(tt.tags); got != tt.want {
			t.Errorf("TagsHashCode(%q) = %d, want %d", tt.tags, got, tt.want)
		}
	}
}
