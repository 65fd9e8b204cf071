package outbox_test

import (
	"encoding/json"
	"strings"
)

func splitKeys(s string) []string { return strings.Fields(s) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
