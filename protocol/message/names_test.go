package message_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

func TestValidateTopic(t *testing.T) {
	tests := []struct {
		name, topic string
		wantMsg     string // "" means valid
	}{
		{"simple", "TopicA", ""},
		{"all chars", "a-Z_0|9%x", ""},
		{"namespaced", "ns%TopicA", ""},
		{"127", strings.Repeat("t", 127), ""},
		{"128", strings.Repeat("t", 128), "128 characters, limit 127"},
		{"retry 255", message.RetryTopic(strings.Repeat("g", 255-7)), ""},
		{"retry 256", message.RetryTopic(strings.Repeat("g", 256-7)), "limit 255"},
		{"dlq 255", message.DLQTopic(strings.Repeat("g", 250)), ""},
		{"empty", "", "empty name"},
		{"space", "Topic A", "' ' at 5"},
		{"dot", "a.b", "'.' at 1"},
		{"slash", "a/b", "'/'"},
		{"non-ascii", "tópico", "at 1"},
		{"nul", "a\x00", "at 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := message.ValidateTopic(tt.topic)
			checkNameErr(t, err, tt.wantMsg)
			if err != nil && tt.topic != "" && !strings.Contains(err.Error(), `topic "`) {
				t.Errorf("error %q does not name the topic", err)
			}
		})
	}
}

func TestValidateGroup(t *testing.T) {
	tests := []struct {
		name, group string
		wantMsg     string
	}{
		{"simple", "CG1", ""},
		{"255", strings.Repeat("g", 255), ""},
		{"256", strings.Repeat("g", 256), "256 characters, limit 255"},
		{"empty", "", "empty name"},
		{"colon", "a:b", "':' at 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNameErr(t, message.ValidateGroup(tt.group), tt.wantMsg)
		})
	}
}

func checkNameErr(t *testing.T, err error, wantMsg string) {
	t.Helper()
	if wantMsg == "" {
		if err != nil {
			t.Errorf("unexpected error %v", err)
		}
		return
	}
	if !errors.Is(err, message.ErrInvalidName) {
		t.Fatalf("error = %v, want ErrInvalidName", err)
	}
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error %q does not mention %q", err, wantMsg)
	}
	if len(err.Error()) > 200 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
}

func TestRetryAndDLQTopics(t *testing.T) {
	if got := message.RetryTopic("CG1"); got != "%RETRY%CG1" {
		t.Errorf("RetryTopic = %q", got)
	}
	if got := message.DLQTopic("CG1"); got != "%DLQ%CG1" {
		t.Errorf("DLQTopic = %q", got)
	}
	tests := []struct {
		topic      string
		retry, dlq bool
		group      string
	}{
		{"%RETRY%CG1", true, false, "CG1"},
		{"%DLQ%CG1", false, true, ""},
		{"TopicA", false, false, ""},
		{"%retry%CG1", false, false, ""},
		{"%RETRY%", true, false, ""},
	}
	for _, tt := range tests {
		if got := message.IsRetryTopic(tt.topic); got != tt.retry {
			t.Errorf("IsRetryTopic(%q) = %v", tt.topic, got)
		}
		if got := message.IsDLQTopic(tt.topic); got != tt.dlq {
			t.Errorf("IsDLQTopic(%q) = %v", tt.topic, got)
		}
		if g, ok := message.RetryGroup(tt.topic); g != tt.group || ok != tt.retry {
			t.Errorf("RetryGroup(%q) = %q, %v", tt.topic, g, ok)
		}
	}
}
