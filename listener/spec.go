package listener

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// Kind is how a listener consumes: orderly or concurrent.
type Kind int

const (
	// KindConcurrent is a listener.Concurrent listener.
	KindConcurrent Kind = iota
	// KindOrderly is a listener.Orderly listener.
	KindOrderly
)

func (k Kind) String() string {
	if k == KindOrderly {
		return "orderly"
	}
	return "concurrent"
}

// Model is the consumption model: clustering (each message to one member
// of the group) or broadcasting (each message to every member).
type Model int

const (
	// Clustering delivers each message to one member of the group. Default.
	Clustering Model = iota
	// Broadcasting delivers each message to every member. Failed
	// deliveries are not retried and never dead-lettered (the client logs
	// and drops them); offsets are kept in a local file.
	Broadcasting
)

func (m Model) String() string {
	if m == Broadcasting {
		return "broadcasting"
	}
	return "clustering"
}

// OrderlyUnlimited is the reconsume limit of an orderly listener without
// maxReconsume: in effect unlimited, like rocketmq-spring's
// Integer.MAX_VALUE, but leaving room above it to mark a discarded
// message.
const OrderlyUnlimited = math.MaxInt32 / 2

// defaultConcurrentReconsume is the client's and the broker's default
// retry budget of a concurrent listener.
const defaultConcurrentReconsume = 16

// Spec is a parsed listener annotation. Zero numeric fields mean "use the
// configured default"; Parse fills only what the tag says.
type Spec struct {
	Listener string // the listener's type name, e.g. "BillOrders"
	Field    string // the marker field's name, e.g. "Orderly"
	Kind     Kind

	Topic string
	// Group is the consumer group; empty when the tag has none (see
	// DeriveGroup).
	Group string
	// Tags is the normalised tag expression ("created || paid"), "*" for
	// all; empty when SQL is set.
	Tags string
	// SQL is a SQL92 selector, empty for a tag subscription.
	SQL   string
	Model Model

	// Consumers is the handler concurrency (the client's consume
	// goroutines); 0 means the configured default.
	Consumers int
	// MaxReconsume is how often a failing message is retried before it is
	// dead-lettered; -1 means the default (16 concurrent, unlimited
	// orderly).
	MaxReconsume int
	// Timeout bounds one handler call (its ctx deadline); 0 means none.
	Timeout time.Duration
	// Batch is the most messages per HandleBatch call; 0 for Handle.
	Batch int
	// Suspend is how long an orderly queue pauses after a failure; -1 means
	// the configured default.
	Suspend time.Duration
	// RetryDelayLevel is the delay level a concurrent listener's failed
	// message is sent back with (rocketmq-spring's
	// delayLevelWhenNextConsume); 0 lets the broker step it up with each
	// retry (level 3 + the reconsume count).
	RetryDelayLevel int
	// AccessKey and SecretKey are the listener's own ACL credentials
	// (rocketmq-spring's accessKey and secretKey); empty means the
	// configured ones. String never shows them.
	AccessKey, SecretKey string
}

// Expression is the subscription expression: the SQL selector or the tags.
func (s *Spec) Expression() string {
	if s.SQL != "" {
		return s.SQL
	}
	if s.Tags == "" {
		return "*"
	}
	return s.Tags
}

// Subscription is the consumer's subscription for the listener.
func (s *Spec) Subscription() client.Subscription {
	return client.Subscription{Topic: s.Topic, Expression: s.Expression(), SQL: s.SQL != ""}
}

// maxDelayLevel bounds delayLevelWhenNextConsume, as the client bounds
// RetryDelayLevel; brokers clamp a level past their table to its last.
const maxDelayLevel = 1 << 16

// ReconsumeLimit is the effective MaxReconsume for the client: the tag's
// value, or 16 for a concurrent and OrderlyUnlimited for an orderly
// listener.
func (s *Spec) ReconsumeLimit() int32 {
	switch {
	case s.MaxReconsume >= 0:
		return int32(min(s.MaxReconsume, OrderlyUnlimited))
	case s.Kind == KindOrderly:
		return OrderlyUnlimited
	default:
		return defaultConcurrentReconsume
	}
}

// String describes the listener for logs and errors, e.g.
// "BillOrders (orderly, topic orders, tags created || paid, group billing-orders)".
func (s *Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, topic %s, ", s.Listener, s.Kind, s.Topic)
	if s.SQL != "" {
		fmt.Fprintf(&b, "sql %q", s.SQL)
	} else {
		fmt.Fprintf(&b, "tags %s", s.Expression())
	}
	if s.Group != "" {
		fmt.Fprintf(&b, ", group %s", s.Group)
	}
	b.WriteByte(')')
	return b.String()
}

// SameSubscription reports whether a and b subscribe the same topic with
// the same expression (tag order and spacing ignored).
func SameSubscription(a, b *Spec) bool {
	return a.Topic == b.Topic && (a.SQL != "") == (b.SQL != "") &&
		NormalizeExpression(a.Expression()) == NormalizeExpression(b.Expression())
}

// NormalizeExpression puts a tag expression in canonical form: tags
// trimmed, de-duplicated and sorted, joined by " || "; "" and "*" become
// "*". Other expressions (SQL) are returned trimmed.
func NormalizeExpression(expr string) string {
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == "*" {
		return "*"
	}
	parts := strings.Split(expr, "||")
	seen := make(map[string]bool, len(parts))
	out := parts[:0]
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	slices.Sort(out)
	return strings.Join(out, " || ")
}

// DeriveGroup returns the group of a listener whose tag names none:
// "<service>-<topic>-<Listener>", with every byte outside
// [a-zA-Z0-9_-] replaced by '_' and, beyond 255 bytes, shortened with a
// hash suffix. One service, one topic and one listener type give one
// group, so two listener types never share a group by accident, and every
// replica of the service shares it.
func DeriveGroup(service string, s *Spec) string {
	name := sanitizeGroup(service) + "-" + sanitizeGroup(s.Topic) + "-" + sanitizeGroup(s.Listener)
	const limit = 255
	if len(name) > limit {
		h := fnv.New32a()
		h.Write([]byte(name))
		name = fmt.Sprintf("%s-%08x", name[:limit-9], h.Sum32())
	}
	return name
}

func sanitizeGroup(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
