package listener

import (
	"errors"
	"fmt"
	"strings"
)

// Lookup returns the configuration value of key (e.g. "billing.consumers")
// and whether it is set. The starter resolves keys from its configuration
// (YAML file and environment).
type Lookup func(key string) (string, bool)

// Expand replaces the placeholders in s: ${key} by lookup(key), ${key:def}
// by lookup(key) or def when key is not set, and $${ by a literal ${. A
// placeholder that is unterminated, has an empty or malformed key, or
// names an unset key without default is an error. lookup may be nil when
// s has no placeholders.
func Expand(s string, lookup Lookup) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // $${ is a literal ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated placeholder in %q", s[i:])
		}
		body := s[i+2 : i+end]
		key, def, hasDef := strings.Cut(body, ":")
		if err := checkKey(key); err != nil {
			return "", fmt.Errorf("placeholder ${%s}: %w", body, err)
		}
		var val string
		var ok bool
		if lookup != nil {
			val, ok = lookup(key)
		}
		switch {
		case ok:
		case hasDef:
			val = def
		default:
			return "", fmt.Errorf("placeholder ${%s}: %s is not set", body, key)
		}
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

// checkKey accepts configuration keys made of [A-Za-z0-9._-].
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("key %q: byte %q is not in [A-Za-z0-9._-]", key, c)
		}
	}
	return nil
}
