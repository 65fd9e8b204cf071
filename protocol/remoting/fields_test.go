package remoting

import (
	"errors"
	"strings"
	"testing"
)

func TestFieldsGetSet(t *testing.T) {
	var f Fields
	if got, ok := f.Lookup("a"); ok || got != "" {
		t.Fatalf("Lookup on nil = %q, %v", got, ok)
	}
	f.Set("a", "1")
	f.Set("b", "2")
	f.Set("a", "3")
	if want := (Fields{{"a", "3"}, {"b", "2"}}); len(f) != 2 || f[0] != want[0] || f[1] != want[1] {
		t.Fatalf("after Set: %q, want %q", f, want)
	}
	if f.Get("b") != "2" || f.Get("zz") != "" {
		t.Fatalf("Get: %q %q", f.Get("b"), f.Get("zz"))
	}
	if v, ok := f.Lookup("a"); !ok || v != "3" {
		t.Fatalf("Lookup(a) = %q, %v", v, ok)
	}
	f.Set("empty", "")
	if v, ok := f.Lookup("empty"); !ok || v != "" {
		t.Fatalf("Lookup(empty) = %q, %v", v, ok)
	}
}

func TestFieldsDuplicateLastWins(t *testing.T) {
	f := Fields{{"k", "first"}, {"x", "y"}, {"k", "last"}}
	if got := f.Get("k"); got != "last" {
		t.Fatalf("Get = %q, want last", got)
	}
	f.Set("k", "new")
	if f[2].Value != "new" || f[0].Value != "first" || f.Get("k") != "new" {
		t.Fatalf("Set replaced the wrong occurrence: %q", f)
	}
}

func TestFieldsNumbers(t *testing.T) {
	f := Fields{{"q", "7"}, {"neg", "-42"}, {"big", "9223372036854775807"}, {"bad", "x1"}, {"b", "true"}, {"B", "True"}}
	tests := []struct {
		name    string
		call    func() (int64, error)
		want    int64
		wantErr error
	}{
		{"int64", func() (int64, error) { return f.Int64("q") }, 7, nil},
		{"negative", func() (int64, error) { return f.Int64("neg") }, -42, nil},
		{"max int64", func() (int64, error) { return f.Int64("big") }, 1<<63 - 1, nil},
		{"int32", func() (int64, error) { v, err := f.Int32("q"); return int64(v), err }, 7, nil},
		{"int32 overflow", func() (int64, error) { v, err := f.Int32("big"); return int64(v), err }, 0, ErrInvalidField},
		{"missing", func() (int64, error) { return f.Int64("nope") }, 0, ErrMissingField},
		{"missing int32", func() (int64, error) { v, err := f.Int32("nope"); return int64(v), err }, 0, ErrMissingField},
		{"not a number", func() (int64, error) { return f.Int64("bad") }, 0, ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), `"`) {
				t.Fatalf("error %q does not name the key", err)
			}
			if got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
	if _, err := f.Int64("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("missing-key error %v does not name the key", err)
	}
	if !f.Bool("b") || f.Bool("B") || f.Bool("nope") {
		t.Fatal("Bool must be true only for exactly \"true\"")
	}
}

func TestFieldsSetInt64Clone(t *testing.T) {
	var f Fields
	f.SetInt64("queueOffset", -3)
	if f.Get("queueOffset") != "-3" {
		t.Fatalf("SetInt64: %q", f)
	}
	g := f.Clone()
	g.Set("queueOffset", "9")
	if f.Get("queueOffset") != "-3" {
		t.Fatal("Clone shares its backing array")
	}
	if Fields(nil).Clone() != nil {
		t.Fatal("Clone(nil) != nil")
	}
}
