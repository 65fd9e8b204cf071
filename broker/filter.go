package broker

import (
	"strings"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Expression types of a subscription.
const (
	ExpressionTag   = "TAG"
	ExpressionSQL92 = "SQL92"
)

// subFilter is a compiled subscription: broker-side tag filtering by hash
// code on the consume queue, then by exact tag on the record (the Go
// client's tag hash differs from Java's for non-ASCII tags, so the hash
// alone is not trusted).
type subFilter struct {
	sub   Subscription
	all   bool
	sql   bool
	tags  []string
	codes []int64
}

var _ store.Filter = (*subFilter)(nil)

// newSubFilter compiles s. A TAG expression is "*", "" or tags joined by "||".
func newSubFilter(s Subscription) *subFilter {
	f := &subFilter{sub: s}
	if strings.EqualFold(s.ExpressionType, ExpressionSQL92) {
		f.sql = true
		return f
	}
	expr := strings.TrimSpace(s.Expression)
	if expr == "" || expr == "*" {
		f.all = true
		return f
	}
	for _, tag := range strings.Split(expr, "||") {
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		f.tags = append(f.tags, tag)
		f.codes = append(f.codes, message.TagsHashCode(tag))
	}
	f.all = len(f.tags) == 0
	return f
}

// MatchTagsCode is the consume-queue stage.
func (f *subFilter) MatchTagsCode(code int64) bool {
	if f == nil || f.all {
		return true
	}
	for _, c := range f.codes {
		if c == code {
			return true
		}
	}
	return false
}

// MatchRecord is the exact stage, on the stored record.
func (f *subFilter) MatchRecord(rec []byte) bool {
	if f == nil || f.all {
		return true
	}
	m, _, err := message.Decode(rec, false)
	if err != nil {
		return false
	}
	tag, ok := message.GetProperty(m.Properties, message.PropertyTags)
	if !ok {
		return false
	}
	for _, t := range f.tags {
		if t == tag {
			return true
		}
	}
	return false
}
