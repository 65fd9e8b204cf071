package suggest_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/internal/suggest"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 0, 0},
		{"kitten", "sitting", 0, 3},
		{"brokerName", "brokerNmae", 0, 2},
		{"abc", "abc", 3, 0},
		{"abc", "", 0, 3},
		{"abc", "", 2, 2},               // capped by the length difference
		{"flushDiskType", "xyz", 3, 3},  // capped
		{"topicList", "topicLst", 3, 1}, // one deletion
	}
	for _, tt := range tests {
		if got := suggest.Distance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("Distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
		if got := suggest.Distance(tt.b, tt.a, tt.limit); got != tt.want {
			t.Errorf("Distance(%q, %q, %d) = %d, want %d (symmetric)", tt.b, tt.a, tt.limit, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"brokerName", "brokerClusterName", "listenPort", "topicList", "topicRoute"}
	tests := []struct {
		word     string
		want     string
		wantDist int
	}{
		{"brokername", "brokerName", 0}, // case ignored
		{"brokerNmae", "brokerName", 2},
		{"topicLis", "topicList", 1},
		{"somethingElse", "", 3},
		{"topicRoot", "topicRoute", 2},
	}
	for _, tt := range tests {
		got, d := suggest.Closest(tt.word, known, 3)
		if got != tt.want || d != tt.wantDist {
			t.Errorf("Closest(%q) = %q, %d; want %q, %d", tt.word, got, d, tt.want, tt.wantDist)
		}
	}
	// Ties go to the alphabetically first.
	if got, _ := suggest.Closest("ab", []string{"bb", "aa"}, 3); got != "aa" {
		t.Errorf("tie: got %q, want aa", got)
	}
}
