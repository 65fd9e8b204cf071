package outbox_test

import (
	"encoding/json"
	"strings"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

func splitKeys(s string) []string { return strings.Fields(s) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func newPrimeMessage(topic string) *primitive.Message {
	return primitive.NewMessage(topic, []byte("prime")).WithTag("prime")
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
