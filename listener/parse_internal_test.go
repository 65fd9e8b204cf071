package listener

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTag(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"n": "4", "empty": ""}[k]
		return v, ok
	}
	tests := []struct {
		name  string
		tag   string
		kind  Kind
		want  string // error substring; "" for success
		check func(*Spec) bool
	}{
		{"minimal", `topic:"t"`, KindConcurrent, "", func(s *Spec) bool { return s.Topic == "t" && s.Tags == "*" }},
		{"tags normalised", `topic:"t" tags:" b ||a|| b "`, KindConcurrent, "", func(s *Spec) bool { return s.Tags == "a || b" }},
		{"star", `topic:"t" tags:"*"`, KindConcurrent, "", func(s *Spec) bool { return s.Tags == "*" }},
		{"durations", `topic:"t" timeout:"2s" suspend:"150ms"`, KindOrderly, "", func(s *Spec) bool {
			return s.Timeout == 2*time.Second && s.Suspend == 150*time.Millisecond
		}},
		{"escaped dollar", `topic:"t" tags:"$${x}"`, KindConcurrent, "", func(s *Spec) bool { return s.Tags == "${x}" }},
		{"placeholder number", `topic:"t" consumers:"${n}" batch:"${n}"`, KindConcurrent, "", func(s *Spec) bool { return s.Consumers == 4 && s.Batch == 4 }},
		{"missing topic", `tags:"a"`, KindConcurrent, "tag topic: is required", nil},
		{"empty topic via placeholder", `topic:"${empty}"`, KindConcurrent, "tag topic: is required", nil},
		{"bad topic", `topic:"a b"`, KindConcurrent, "tag topic: validate topic", nil},
		{"bad group", `topic:"t" group:"g/1"`, KindConcurrent, "tag group: validate group", nil},
		{"unknown key", `topic:"t" maxReconsumes:"1"`, KindConcurrent, "tag maxReconsumes: unknown key (did you mean maxReconsume?)", nil},
		{"rocketmq-spring's name", `topic:"t" consumerGroup:"g"`, KindConcurrent,
			"tag consumerGroup: unknown key (rocketmq-spring's consumerGroup is group here)", nil},
		{"rocketmq-spring's selector", `topic:"t" selectorExpression:"a"`, KindConcurrent,
			"tag selectorExpression: unknown key (rocketmq-spring's selectorExpression is tags here)", nil},
		{"far from everything", `topic:"t" zzzzzz:"1"`, KindConcurrent, "tag zzzzzz: unknown key (known: ", nil},
		{"duplicate", `topic:"t" topic:"u"`, KindConcurrent, "tag topic: given twice", nil},
		{"tags and sql", `topic:"t" tags:"a" sql:"x > 1"`, KindConcurrent, "tags and sql exclude each other", nil},
		{"empty tag", `topic:"t" tags:"a || || b"`, KindConcurrent, "empty tag", nil},
		{"star mixed", `topic:"t" tags:"a || *"`, KindConcurrent, "* must stand alone", nil},
		{"bad model", `topic:"t" model:"fanout"`, KindConcurrent, `"fanout" is neither clustering nor broadcasting`, nil},
		{"range", `topic:"t" consumers:"0"`, KindConcurrent, "0 is outside 1..1000", nil},
		{"bad duration", `topic:"t" timeout:"soon"`, KindConcurrent, `tag timeout: "soon" is not a duration`, nil},
		{"zero timeout", `topic:"t" timeout:"0s"`, KindConcurrent, "must be positive", nil},
		{"suspend on concurrent", `topic:"t" suspend:"1s"`, KindConcurrent, "orderly listeners only", nil},
		{"retry delay level", `topic:"t" delayLevelWhenNextConsume:"5"`, KindConcurrent, "", func(s *Spec) bool { return s.RetryDelayLevel == 5 }},
		{"retry delay level on orderly", `topic:"t" delayLevelWhenNextConsume:"5"`, KindOrderly, "concurrent listeners only", nil},
		{"negative retry delay level", `topic:"t" delayLevelWhenNextConsume:"-1"`, KindConcurrent, "-1 is outside 0..65536", nil},
		{"unterminated placeholder", `topic:"${t"`, KindConcurrent, "unterminated placeholder", nil},
		{"empty placeholder key", `topic:"${}"`, KindConcurrent, "empty key", nil},
		{"malformed", `topic:t`, KindConcurrent, "malformed struct tag", nil},
		{"unterminated value", `topic:"t`, KindConcurrent, "not terminated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseTag("L", "F", tt.kind, tt.tag, lookup)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidTag) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Errorf("spec = %+v", s)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"a": "1", "b.c-d": "x"}[k]
		return v, ok
	}
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${a}", "1", ""},
		{"<${a}${b.c-d}>", "<1x>", ""},
		{"${nope:def}", "def", ""},
		{"${nope:}", "", ""},
		{"${nope:a:b}", "a:b", ""},
		{"${a:ignored}", "1", ""},
		{"$${a}", "${a}", ""},
		{"$5 ${a}", "$5 1", ""},
		{"${nope}", "", "nope is not set"},
		{"${a", "", "unterminated"},
		{"${ a}", "", "is not in"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, lookup)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Expand(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDeriveGroup(t *testing.T) {
	s := &Spec{Listener: "BillOrders", Topic: "%DLQ%orders"}
	if got := DeriveGroup("billing.svc", s); got != "billing_svc-_DLQ_orders-BillOrders" {
		t.Errorf("DeriveGroup = %q", got)
	}
	long := DeriveGroup(strings.Repeat("s", 300), s)
	if len(long) != 255 {
		t.Errorf("long derived group has %d bytes", len(long))
	}
	if long == DeriveGroup(strings.Repeat("s", 301), s) {
		t.Errorf("hash suffix does not tell long names apart")
	}
}
