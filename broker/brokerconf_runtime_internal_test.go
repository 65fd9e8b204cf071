package broker

import (
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/internal/javaprops"
)

// lastValues maps each key of a properties text to its last value, as a
// broker reading the file sees it.
func lastValues(text string) map[string]string {
	out := map[string]string{}
	for _, e := range javaprops.Read(text) {
		out[e.Key] = e.Value
	}
	return out
}

func TestRewriteConfText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"replaces the entry, keeps the rest", "# c\nbrokerName=a\nautoCreateSubscriptionGroup=true\n",
			"# c\nbrokerName=a\nautoCreateSubscriptionGroup=false\n"},
		{"replaces the last of repeated entries", "autoCreateSubscriptionGroup=true\nx=1\nautoCreateSubscriptionGroup : true\n",
			"autoCreateSubscriptionGroup=true\nx=1\nautoCreateSubscriptionGroup=false\n"},
		{"drops a multi-line entry's continuation", "autoCreateSubscriptionGroup=tr\\\n   ue\nx=1",
			"autoCreateSubscriptionGroup=false\nx=1"},
		{"appends a missing key", "x=1", "x=1\nautoCreateSubscriptionGroup=false\n"},
		{"empty file", "", "autoCreateSubscriptionGroup=false\n"},
		{"CRLF", "x=1\r\nautoCreateSubscriptionGroup=true\r\n", "x=1\nautoCreateSubscriptionGroup=false\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rewriteConfText(tt.in, map[string]string{"autoCreateSubscriptionGroup": "false"})
			if got != tt.want {
				t.Errorf("rewrite of %q:\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRewriteConfText: whatever the file holds, after the rewrite the
// broker reads the changed key with its new value, and every other key
// with the value it had.
func FuzzRewriteConfText(f *testing.F) {
	f.Add("# c\nbrokerName=a\nautoCreateSubscriptionGroup=true\n", "autoCreateSubscriptionGroup", "false")
	f.Add("k=v\\\n  w\nk=x\\\\\nz=1\r\n", "k", "1")
	f.Add("a\\u00=1\n", "a", "x")
	f.Fuzz(func(t *testing.T, text, key, value string) {
		if key == "" || strings.ContainsAny(key, "=: \t\f\r\n\\#!") || strings.ContainsAny(value, "\r\n\\") ||
			strings.TrimSpace(value) != value {
			t.Skip() // keys and values rewriteConfText is given need no escaping
		}
		before := lastValues(text)
		after := lastValues(rewriteConfText(text, map[string]string{key: value}))
		if after[key] != value {
			t.Fatalf("%s = %q after the rewrite, want %q", key, after[key], value)
		}
		delete(after, key)
		delete(before, key)
		for k, v := range before {
			if after[k] != v {
				t.Fatalf("%s changed from %q to %q", k, v, after[k])
			}
		}
		if len(after) != len(before) {
			t.Fatalf("keys %v became %v", before, after)
		}
	})
}
