package message_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestGetProperty(t *testing.T) {
	tests := []struct {
		name, props, key string
		want             string
		wantOK           bool
	}{
		{"empty", "", "A", "", false},
		{"first", "A\x011\x02B\x012\x02", "A", "1", true},
		{"last", "A\x011\x02B\x012\x02", "B", "2", true},
		{"missing", "A\x011\x02B\x012\x02", "C", "", false},
		{"prefix of key does not match", "AB\x011\x02", "A", "", false},
		{"key matches value text", "X\x01A\x02", "A", "", false},
		{"no trailing separator", "A\x011\x02B\x012", "B", "2", true},
		{"empty value", "A\x01\x02", "A", "", true},
		{"empty key", "\x01v\x02", "", "v", true},
		{"later duplicate wins", "A\x011\x02A\x012\x02", "A", "2", true},
		{"two name separators ignored", "A\x011\x01x\x02", "A", "", false},
		{"invalid later duplicate ignored", "A\x011\x02A\x012\x013\x02", "A", "1", true},
		{"item without separator ignored", "A\x02B\x01b\x02", "A", "", false},
		{"empty items skipped", "\x02\x02A\x01a\x02\x02", "A", "a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := message.GetProperty(tt.props, tt.key)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("GetProperty(%q, %q) = %q, %v; want %q, %v", tt.props, tt.key, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSetProperty(t *testing.T) {
	tests := []struct {
		name, props, key, value, want string
	}{
		{"into empty", "", "A", "1", "A\x011\x02"},
		{"append", "A\x011\x02", "B", "2", "A\x011\x02B\x012\x02"},
		{"append after unterminated", "A\x011", "B", "2", "A\x011\x02B\x012\x02"},
		{"replace in place", "A\x011\x02B\x012\x02C\x013\x02", "B", "x", "A\x011\x02B\x01x\x02C\x013\x02"},
		{"replace unterminated last", "A\x011\x02B\x012", "B", "x", "A\x011\x02B\x01x\x02"},
		{"drop later duplicates", "A\x011\x02B\x012\x02A\x013\x02", "A", "x", "A\x01x\x02B\x012\x02"},
		{"keep invalid items verbatim", "junk\x02A\x011\x02\x02x\x01y\x01z", "A", "2", "junk\x02A\x012\x02\x02x\x01y\x01z"},
		{"invalid item with same key is not a match", "A\x011\x012\x02", "A", "v", "A\x011\x012\x02A\x01v\x02"},
		{"empty value", "A\x011\x02", "A", "", "A\x01\x02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.SetProperty(tt.props, tt.key, tt.value)
			if got != tt.want {
				t.Errorf("SetProperty(%q, %q, %q) = %q, want %q", tt.props, tt.key, tt.value, got, tt.want)
			}
			if v, ok := message.GetProperty(got, tt.key); !ok || v != tt.value {
				t.Errorf("GetProperty after set = %q, %v", v, ok)
			}
		})
	}
}

func TestDeleteProperties(t *testing.T) {
	tests := []struct {
		name, props string
		keys        []string
		want        string
	}{
		{"no keys", "A\x011\x02", nil, "A\x011\x02"},
		{"absent", "A\x011\x02", []string{"B"}, "A\x011\x02"},
		{"one", "A\x011\x02B\x012\x02C\x013\x02", []string{"B"}, "A\x011\x02C\x013\x02"},
		{"several", "A\x011\x02B\x012\x02C\x013\x02", []string{"C", "A"}, "B\x012\x02"},
		{"all", "A\x011\x02B\x012\x02", []string{"A", "B"}, ""},
		{"duplicates", "A\x011\x02B\x012\x02A\x013\x02", []string{"A"}, "B\x012\x02"},
		{"unterminated kept", "A\x011\x02B\x012", []string{"A"}, "B\x012"},
		{"unterminated removed", "A\x011\x02B\x012", []string{"B"}, "A\x011\x02"},
		{"invalid items kept", "A\x01x\x01y\x02\x02A\x011\x02", []string{"A"}, "A\x01x\x01y\x02\x02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.DeleteProperties(tt.props, tt.keys...)
			if got != tt.want {
				t.Errorf("DeleteProperties(%q, %q) = %q, want %q", tt.props, tt.keys, got, tt.want)
			}
			for _, k := range tt.keys {
				if _, ok := message.GetProperty(got, k); ok {
					t.Errorf("key %q still present", k)
				}
			}
		})
	}
}

func TestParseFormatProperties(t *testing.T) {
	tests := []struct {
		name  string
		props string
		want  map[string]string
		canon string
	}{
		{"empty", "", map[string]string{}, ""},
		{"sorted on format", "TAGS\x01TagA\x02KEYS\x01k1 k2\x02", map[string]string{"TAGS": "TagA", "KEYS": "k1 k2"}, "KEYS\x01k1 k2\x02TAGS\x01TagA\x02"},
		{"duplicates collapse", "A\x011\x02A\x012\x02", map[string]string{"A": "2"}, "A\x012\x02"},
		{"garbage dropped", "junk\x02A\x011\x01\x02B\x01b", map[string]string{"B": "b"}, "B\x01b\x02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.ParseProperties(tt.props)
			if got == nil || !maps.Equal(got, tt.want) {
				t.Errorf("ParseProperties = %q, want %q", got, tt.want)
			}
			if f := message.FormatProperties(got); f != tt.canon {
				t.Errorf("FormatProperties = %q, want %q", f, tt.canon)
			}
		})
	}
}

func TestValidateProperty(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
	}{
		{"TAGS", "TagA", true},
		{"K", "", true},
		{"", "v", false},
		{"K\x01", "v", false},
		{"K", "v\x02", false},
		{"K", "a\x01b", false},
		{"K\x02", "v", false},
	}
	for _, tt := range tests {
		err := message.ValidateProperty(tt.key, tt.value)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateProperty(%q, %q) = %v, want ok=%v", tt.key, tt.value, err, tt.ok)
		}
		if err != nil && !errors.Is(err, message.ErrInvalidProperty) {
			t.Errorf("error %v does not wrap ErrInvalidProperty", err)
		}
	}
}

func TestGetPropertyDoesNotAllocate(t *testing.T) {
	props := sampleExt().Properties
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := message.GetProperty(props, message.PropertyTags); !ok {
			t.Fatal("TAGS missing")
		}
	})
	if allocs != 0 {
		t.Errorf("GetProperty allocates %v times", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		_ = message.DeleteProperties(props, "ABSENT")
	})
	if allocs != 0 {
		t.Errorf("DeleteProperties of an absent key allocates %v times", allocs)
	}
}
