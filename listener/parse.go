package listener

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/internal/suggest"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Tag keys, in the order the documentation lists them.
var tagKeys = []string{"topic", "group", "tags", "sql", "model", "consumers", "maxReconsume", "timeout", "batch", "suspend", "delayLevelWhenNextConsume", "accessKey", "secretKey"}

var (
	orderlyType    = reflect.TypeFor[Orderly]()
	concurrentType = reflect.TypeFor[Concurrent]()
	handlerType    = reflect.TypeFor[Handler]()
	batchType      = reflect.TypeFor[BatchHandler]()
)

// Parse reads the annotation of listener l, a struct or pointer to a struct
// with one field of type Orderly or Concurrent, resolving placeholders
// through lookup. It checks that l has the handler method its tags call
// for: Handle, or HandleBatch when batch is set. Errors in the tag are
// *TagError values naming the listener, the field and the tag.
func Parse(l any, lookup Lookup) (*Spec, error) {
	t := reflect.TypeOf(l)
	if t == nil {
		return nil, fmt.Errorf("listener <nil>: %w", ErrNoMarker)
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	name := st.Name()
	if name == "" {
		name = st.String()
	}
	if st.Kind() != reflect.Struct {
		return nil, fmt.Errorf("listener %s: not a struct: %w", name, ErrNoMarker)
	}
	var marker *reflect.StructField
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Type != orderlyType && f.Type != concurrentType {
			continue
		}
		if marker != nil {
			return nil, fmt.Errorf("listener %s: fields %s and %s are both markers; keep one: %w", name, marker.Name, f.Name, ErrNoMarker)
		}
		marker = &f
	}
	if marker == nil {
		return nil, fmt.Errorf("listener %s: %w", name, ErrNoMarker)
	}
	kind := KindConcurrent
	if marker.Type == orderlyType {
		kind = KindOrderly
	}
	spec, err := parseTag(name, marker.Name, kind, string(marker.Tag), lookup)
	if err != nil {
		return nil, err
	}
	if err := checkHandler(t, spec); err != nil {
		return nil, err
	}
	return spec, nil
}

func checkHandler(t reflect.Type, s *Spec) error {
	single, batch := t.Implements(handlerType) || t.Implements(replyType), t.Implements(batchType)
	hint := ""
	if t.Kind() != reflect.Pointer {
		hint = " (methods with pointer receivers need a pointer: register *" + s.Listener + ")"
	}
	switch {
	case s.Batch > 0 && !batch:
		return fmt.Errorf("listener %s: tag batch needs a method HandleBatch(context.Context, []*listener.Message) error%s: %w", s.Listener, hint, ErrNoHandler)
	case s.Batch == 0 && !single && batch:
		return fmt.Errorf("listener %s: HandleBatch needs tag batch (the most messages per call): %w", s.Listener, ErrNoHandler)
	case s.Batch == 0 && !single:
		return fmt.Errorf("listener %s: needs a method Handle(context.Context, *listener.Message) error (or HandleReply(context.Context, *listener.Message) (any, error))%s: %w", s.Listener, hint, ErrNoHandler)
	}
	return nil
}

// springNames maps rocketmq-spring's @RocketMQMessageListener attributes
// to the tag keys that do the same here.
var springNames = map[string]string{
	"consumerGroup":                 "group",
	"selectorExpression":            "tags",
	"selectorType":                  "tags (or sql)",
	"messageModel":                  "model",
	"consumeMode":                   "the marker type (listener.Orderly or listener.Concurrent)",
	"consumeThreadMax":              "consumers",
	"consumeThreadNumber":           "consumers",
	"maxReconsumeTimes":             "maxReconsume",
	"consumeTimeout":                "timeout",
	"suspendCurrentQueueTimeMillis": "suspend",
}

// suggestTagKey says which key was meant: rocketmq-spring's name for it,
// or the closest known key to a typo.
func suggestTagKey(key string) string {
	if k, ok := springNames[key]; ok {
		return " (rocketmq-spring's " + key + " is " + k + " here)"
	}
	if k, _ := suggest.Closest(key, tagKeys, 3); k != "" {
		return " (did you mean " + k + "?)"
	}
	return ""
}

// parseTag parses a marker field's struct tag. It is the part of Parse
// that sees untrusted text, and the fuzz target.
func parseTag(listener, field string, kind Kind, tag string, lookup Lookup) (*Spec, error) {
	bad := func(key string, format string, args ...any) error {
		return &TagError{Listener: listener, Field: field, Tag: key, Err: fmt.Errorf(format, args...)}
	}
	raw, err := splitTag(tag)
	if err != nil {
		return nil, bad("", "%v", err)
	}
	vals := make(map[string]string, len(raw))
	for _, kv := range raw {
		if !isTagKey(kv[0]) {
			return nil, bad(kv[0], "unknown key%s (known: %s)", suggestTagKey(kv[0]), strings.Join(tagKeys, ", "))
		}
		if _, dup := vals[kv[0]]; dup {
			return nil, bad(kv[0], "given twice")
		}
		if kv[0] == "secretKey" && !strings.Contains(kv[1], "${") {
			return nil, bad(kv[0], "must be a placeholder (secretKey:\"${billing.secret-key}\"): a secret does not belong in source code")
		}
		v, err := Expand(kv[1], lookup)
		if err != nil {
			return nil, bad(kv[0], "%v", err)
		}
		vals[kv[0]] = strings.TrimSpace(v)
	}

	s := &Spec{Listener: listener, Field: field, Kind: kind, MaxReconsume: -1, Suspend: -1}
	var ok bool
	if s.Topic, ok = vals["topic"]; !ok || s.Topic == "" {
		return nil, bad("topic", "is required")
	}
	if err := message.ValidateTopic(s.Topic); err != nil {
		return nil, bad("topic", "%v", unwrapName(err))
	}
	if g, ok := vals["group"]; ok {
		if err := message.ValidateGroup(g); err != nil {
			return nil, bad("group", "%v", unwrapName(err))
		}
		s.Group = g
	}
	tags, hasTags := vals["tags"]
	sql, hasSQL := vals["sql"]
	switch {
	case hasTags && hasSQL:
		return nil, bad("sql", "tags and sql exclude each other")
	case hasSQL:
		if sql == "" {
			return nil, bad("sql", "is empty")
		}
		s.SQL = sql
	default:
		if s.Tags, err = parseTags(tags); err != nil {
			return nil, bad("tags", "%q: %v", tags, err)
		}
	}
	if m, ok := vals["model"]; ok {
		switch strings.ToLower(m) {
		case "clustering":
			s.Model = Clustering
		case "broadcasting":
			s.Model = Broadcasting
		default:
			return nil, bad("model", "%q is neither clustering nor broadcasting", m)
		}
	}
	ints := []struct {
		key      string
		dst      *int
		min, max int
	}{
		{"consumers", &s.Consumers, 1, 1000},
		{"maxReconsume", &s.MaxReconsume, -1, OrderlyUnlimited},
		{"batch", &s.Batch, 1, 1024},
		{"delayLevelWhenNextConsume", &s.RetryDelayLevel, 0, maxDelayLevel},
	}
	for _, f := range ints {
		v, ok := vals[f.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, bad(f.key, "%q is not a number", v)
		}
		if n < f.min || n > f.max {
			return nil, bad(f.key, "%d is outside %d..%d", n, f.min, f.max)
		}
		*f.dst = n
	}
	durs := []struct {
		key      string
		dst      *time.Duration
		positive bool
	}{
		{"timeout", &s.Timeout, true},
		{"suspend", &s.Suspend, false},
	}
	for _, f := range durs {
		v, ok := vals[f.key]
		if !ok {
			continue
		}
		d, err := ParseDuration(v)
		if err != nil {
			return nil, bad(f.key, "%v", err)
		}
		if d < 0 || f.positive && d == 0 {
			return nil, bad(f.key, "%v must be positive", d)
		}
		*f.dst = d
	}
	if _, ok := vals["suspend"]; ok && kind != KindOrderly {
		return nil, bad("suspend", "applies to orderly listeners only")
	}
	if _, ok := vals["delayLevelWhenNextConsume"]; ok && kind != KindConcurrent {
		return nil, bad("delayLevelWhenNextConsume", "applies to concurrent listeners only (orderly ones retry in place after suspend)")
	}
	s.AccessKey, s.SecretKey = vals["accessKey"], vals["secretKey"]
	if (s.AccessKey == "") != (s.SecretKey == "") {
		return nil, bad("secretKey", "accessKey and secretKey go together (both empty: the configured credentials)")
	}
	return s, nil
}

// ParseDuration reads a Go duration ("1.5s", "300ms") or a whole number
// of milliseconds ("3000"), as rocketmq-spring writes timeouts.
func ParseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(time.Duration(1<<62)/time.Millisecond) {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", v)
	}
	return d, nil
}

// parseTags checks and normalises a tag expression.
func parseTags(expr string) (string, error) {
	if expr == "" || expr == "*" {
		return "*", nil
	}
	for _, p := range strings.Split(expr, "||") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			return "", errors.New("empty tag between ||")
		case p == "*":
			return "", errors.New("* must stand alone")
		case strings.ContainsAny(p, " \t\r\n|"):
			return "", fmt.Errorf("tag %q contains a space or a single |", p)
		}
	}
	return NormalizeExpression(expr), nil
}

func isTagKey(k string) bool {
	for _, known := range tagKeys {
		if k == known {
			return true
		}
	}
	return false
}

// unwrapName drops the broker package's sentinel suffix from a name error.
func unwrapName(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+message.ErrInvalidName.Error())
}

// splitTag splits a struct tag into key/value pairs with the grammar of
// reflect.StructTag: space-separated key:"value" pairs, values in Go
// string syntax.
func splitTag(tag string) ([][2]string, error) {
	var out [][2]string
	for {
		tag = strings.TrimLeft(tag, " ")
		if tag == "" {
			return out, nil
		}
		i := 0
		for i < len(tag) && tag[i] > ' ' && tag[i] != ':' && tag[i] != '"' && tag[i] != 0x7f {
			i++
		}
		if i == 0 || i+1 >= len(tag) || tag[i] != ':' || tag[i+1] != '"' {
			return nil, fmt.Errorf("malformed struct tag near %q: want key:\"value\" pairs", clip(tag))
		}
		key := tag[:i]
		tag = tag[i+1:]
		i = 1
		for i < len(tag) && tag[i] != '"' {
			if tag[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(tag) {
			return nil, fmt.Errorf("malformed struct tag: value of %s is not terminated", key)
		}
		val, err := strconv.Unquote(tag[:i+1])
		if err != nil {
			return nil, fmt.Errorf("malformed struct tag: value of %s: %v", key, err)
		}
		tag = tag[i+1:]
		out = append(out, [2]string{key, val})
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
