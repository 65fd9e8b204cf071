package remoting

import (
	"fmt"
	"strconv"
)

// Field is one extFields entry.
type Field struct{ Key, Value string }

// Fields holds a command's extFields in wire order, without a map: a send
// request carries about 14 fields and a linear scan over them is cheaper than
// building and hashing a map.
//
// A decoded frame may repeat a key. Lookups then return the last occurrence,
// which is what a JSON-to-map decoder (the client's, and Java's) does, and Set
// replaces that last occurrence.
type Fields []Field

// Get returns the value stored under key, or "" if key is absent.
func (f Fields) Get(key string) string {
	v, _ := f.Lookup(key)
	return v
}

// Lookup returns the value stored under key and whether key is present.
func (f Fields) Lookup(key string) (string, bool) {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i].Key == key {
			return f[i].Value, true
		}
	}
	return "", false
}

// Set replaces the value stored under key, or appends key if it is absent.
func (f *Fields) Set(key, value string) {
	s := *f
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].Key == key {
			s[i].Value = value
			return
		}
	}
	*f = append(s, Field{Key: key, Value: value})
}

// SetInt64 is Set with the decimal form of v, as RocketMQ writes numbers in
// extFields.
func (f *Fields) SetInt64(key string, v int64) {
	f.Set(key, strconv.FormatInt(v, 10))
}

// Int64 parses the decimal value stored under key. A missing key yields an
// error wrapping ErrMissingField, an unparsable value one wrapping
// ErrInvalidField; both name the key.
func (f Fields) Int64(key string) (int64, error) {
	return f.parseInt(key, 64)
}

// Int32 is Int64 for values that must fit in an int32.
func (f Fields) Int32(key string) (int32, error) {
	v, err := f.parseInt(key, 32)
	return int32(v), err
}

func (f Fields) parseInt(key string, bits int) (int64, error) {
	s, ok := f.Lookup(key)
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrMissingField, key)
	}
	v, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %q is not an int%d", ErrInvalidField, key, s, bits)
	}
	return v, nil
}

// Bool reports whether the value stored under key is exactly "true", which
// is how both the Go and the Java client write booleans.
func (f Fields) Bool(key string) bool {
	return f.Get(key) == "true"
}

// Clone returns a copy of f that shares no backing array with it.
func (f Fields) Clone() Fields {
	if f == nil {
		return nil
	}
	return append(Fields(make([]Field, 0, len(f))), f...)
}
