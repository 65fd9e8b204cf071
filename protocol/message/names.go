package message

import (
	"fmt"
	"strings"
)

// Name prefixes and limits (§5.3, §8.7).
const (
	RetryTopicPrefix = "%RETRY%"
	DLQTopicPrefix   = "%DLQ%"
	// MaxTopicLength is the longest ordinary topic name.
	MaxTopicLength = 127
	// MaxSystemTopicLength is the longest retry or DLQ topic name.
	MaxSystemTopicLength = 255
	// MaxGroupLength is the longest group name.
	MaxGroupLength = 255
)

// nameChars marks the bytes allowed in topic and group names:
// [%|a-zA-Z0-9_-].
var nameChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "%|_-" {
		t[c] = true
	}
	return t
}()

// ValidateTopic reports whether name is a valid topic: characters
// [%|a-zA-Z0-9_-], length 1..127, or up to 255 for names starting with
// "%RETRY%" or "%DLQ%". The error names the topic and the rule and wraps
// ErrInvalidName.
func ValidateTopic(name string) error {
	limit := MaxTopicLength
	if IsRetryTopic(name) || IsDLQTopic(name) {
		limit = MaxSystemTopicLength
	}
	return validateName("topic", name, limit)
}

// ValidateGroup reports whether name is a valid consumer or producer group:
// characters [%|a-zA-Z0-9_-], length 1..255. The error names the group and
// the rule and wraps ErrInvalidName.
func ValidateGroup(name string) error {
	return validateName("group", name, MaxGroupLength)
}

func validateName(kind, name string, limit int) error {
	if name == "" {
		return fmt.Errorf("validate %s: empty name: %w", kind, ErrInvalidName)
	}
	if len(name) > limit {
		return fmt.Errorf("validate %s %q: %d characters, limit %d: %w", kind, clip(name), len(name), limit, ErrInvalidName)
	}
	for i := 0; i < len(name); i++ {
		if !nameChars[name[i]] {
			return fmt.Errorf("validate %s %q: byte %q at %d is not in [%%|a-zA-Z0-9_-]: %w", kind, clip(name), name[i], i, ErrInvalidName)
		}
	}
	return nil
}

// RetryTopic returns the retry topic of group: "%RETRY%"+group.
func RetryTopic(group string) string { return RetryTopicPrefix + group }

// DLQTopic returns the dead-letter topic of group: "%DLQ%"+group.
func DLQTopic(group string) string { return DLQTopicPrefix + group }

// IsRetryTopic reports whether t starts with "%RETRY%".
func IsRetryTopic(t string) bool { return strings.HasPrefix(t, RetryTopicPrefix) }

// IsDLQTopic reports whether t starts with "%DLQ%".
func IsDLQTopic(t string) bool { return strings.HasPrefix(t, DLQTopicPrefix) }

// RetryGroup returns the group of a retry topic and true, or "" and false if
// t is not a retry topic.
func RetryGroup(t string) (string, bool) {
	if g, ok := strings.CutPrefix(t, RetryTopicPrefix); ok {
		return g, true
	}
	return "", false
}

// clip shortens s for error messages.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
