package broker

import (
	"fmt"
	"strings"
	"sync"

	"github.com/rocketkit/rocketkit/broker/sqlfilter"
	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Expression types of a subscription.
const (
	ExpressionTag   = "TAG"
	ExpressionSQL92 = "SQL92"
)

// subFilter is a compiled subscription. A TAG one filters by hash code on
// the consume queue, then by exact tag on the record (the Go client's tag
// hash differs from Java's for non-ASCII tags, so the hash alone is not
// trusted). A SQL92 one evaluates its selector over each record's
// properties (TAGS among them), as Java's ExpressionMessageFilter; an
// expression that does not compile is kept with its error, which pulls
// answer.
type subFilter struct {
	sub    Subscription
	all    bool
	sql    *sqlfilter.Selector
	sqlErr error // the SQL92 expression (or the expression type) is bad
	tags   []string
	codes  []int64
}

var _ store.Filter = (*subFilter)(nil)

// newSubFilter compiles s. A TAG expression (type "" or TAG) is "*", "" or
// tags joined by "||"; a SQL92 expression is compiled by package sqlfilter.
func newSubFilter(s Subscription) *subFilter {
	f := &subFilter{sub: s}
	switch {
	case strings.EqualFold(s.ExpressionType, ExpressionSQL92):
		f.sql, f.sqlErr = compileSQL(s.Expression)
		return f
	case s.ExpressionType != "" && !strings.EqualFold(s.ExpressionType, ExpressionTag):
		f.sqlErr = fmt.Errorf("unknown expression type %q (TAG or SQL92)", s.ExpressionType)
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

// isSQL reports whether f is a property (non-TAG) filter.
func (f *subFilter) isSQL() bool { return f != nil && (f.sql != nil || f.sqlErr != nil) }

// MatchTagsCode is the consume-queue stage; a SQL92 filter passes every
// message on to MatchRecord (Java's bloom-filter bit map is not kept).
func (f *subFilter) MatchTagsCode(code int64) bool {
	if f == nil || f.all || f.isSQL() {
		return true
	}
	for _, c := range f.codes {
		if c == code {
			return true
		}
	}
	return false
}

// MatchRecord is the exact stage, on the stored record. A SQL92 selector
// that fails to evaluate on a message (Java logs it) does not match it.
func (f *subFilter) MatchRecord(rec []byte) bool {
	if f == nil || f.all {
		return true
	}
	if f.sqlErr != nil {
		return false
	}
	m, _, err := message.Decode(rec, false)
	if err != nil {
		return false
	}
	if f.sql != nil {
		ok, _ := f.sql.Matches(func(name string) (string, bool) { return message.GetProperty(m.Properties, name) })
		return ok
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

// sqlCacheSize bounds sqlCache; Java's SelectorParser caches 100.
const sqlCacheSize = 128

// sqlCache holds compiled SQL92 expressions and their errors by text, so
// pulls carrying their subscription (and members registering the same
// one) compile it once. Entries are immutable; the cache is emptied when
// full. Lock order: sqlCache.mu is a leaf.
var sqlCache = struct {
	mu sync.Mutex
	m  map[string]sqlCompiled
}{m: make(map[string]sqlCompiled)}

type sqlCompiled struct {
	sel *sqlfilter.Selector
	err error
}

// compileSQL compiles a SQL92 expression through sqlCache.
func compileSQL(expr string) (*sqlfilter.Selector, error) {
	sqlCache.mu.Lock()
	c, ok := sqlCache.m[expr]
	sqlCache.mu.Unlock()
	if ok {
		return c.sel, c.err
	}
	c.sel, c.err = sqlfilter.Parse(expr)
	sqlCache.mu.Lock()
	if len(sqlCache.m) >= sqlCacheSize {
		clear(sqlCache.m)
	}
	sqlCache.m[expr] = c
	sqlCache.mu.Unlock()
	return c.sel, c.err
}
