package outbox

import (
	"hash/fnv"
	"regexp"
	"strings"
	"testing"
)

// The hand-written shardHash and validTopic match their reference
// definitions: FNV-1a 64 of topic, 0, key (top bit cleared, 0 → 1), and
// ^[%|a-zA-Z0-9_-]{1,127}$.
func TestShardHashAndTopicCheckMatchReference(t *testing.T) {
	refHash := func(topic, key string) uint64 {
		if key == "" {
			return 0
		}
		h := fnv.New64a()
		h.Write([]byte(topic))
		h.Write([]byte{0})
		h.Write([]byte(key))
		if s := h.Sum64() &^ (1 << 63); s != 0 {
			return s
		}
		return 1
	}
	re := regexp.MustCompile(`^[%|a-zA-Z0-9_-]+$`)
	inputs := []string{"", "a", "orders", "order-42", "%RETRY%g", "a|b", "a b", "é", "x:y", "a.b", "\x00", "Z_9-%|",
		strings.Repeat("t", maxTopicLen), strings.Repeat("t", maxTopicLen+1)}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, "t"+string(rune(c)), string([]byte{byte(c)}))
	}
	for _, topic := range inputs {
		want := topic != "" && len(topic) <= maxTopicLen && re.MatchString(topic)
		if got := validTopic(topic) == nil; got != want {
			t.Errorf("validTopic(%q) ok = %v, want %v", topic, got, want)
		}
		for _, key := range []string{"", "k", "order-1", topic, "\x00"} {
			if got, want := shardHash(topic, key), refHash(topic, key); got != want {
				t.Errorf("shardHash(%q, %q) = %d, want %d", topic, key, got, want)
			}
		}
	}
}
