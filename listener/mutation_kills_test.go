package listener_test

// Tests that kill mutants `task mutation` found alive: each checks a
// behaviour no other test pinned down.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/protocol/message"
)

type untimed struct {
	listener.Concurrent `topic:"t" group:"g"`
	f                   func(context.Context, *listener.Message) error
}

func (l *untimed) Handle(ctx context.Context, m *listener.Message) error { return l.f(ctx, m) }

// Without a timeout tag the handler's context has no deadline of its own:
// it is the consumer's, live until shutdown.
func TestNoTimeoutTagMeansNoHandlerDeadline(t *testing.T) {
	var hasDeadline bool
	var ctxErr error
	d, _ := newDispatcher(t, &untimed{f: func(ctx context.Context, _ *listener.Message) error {
		_, hasDeadline = ctx.Deadline()
		ctxErr = ctx.Err()
		return ctxErr
	}})
	if res := consume(d, context.Background(), ext("a")); res != client.ConsumeSuccess {
		t.Fatalf("Consume = %v, want success", res)
	}
	if hasDeadline || ctxErr != nil {
		t.Fatalf("handler context without timeout tag: deadline %v, err %v; want none", hasDeadline, ctxErr)
	}
}

// logRecords is a slog handler that keeps every record as JSON lines.
type logRecords struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logRecords) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logRecords) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// A failed handler is logged once, as a warning naming the message; a
// panicking one once, as an error with its stack - not a second time as a
// failure.
func TestFailureAndPanicAreLoggedOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		f         func(context.Context, *listener.Message) error
		wantLevel string
		wantMsg   string
		wantStack bool
	}{
		{name: "error", f: func(context.Context, *listener.Message) error { return errors.New("boom") },
			wantLevel: "WARN", wantMsg: "listener handler failed; will retry"},
		{name: "panic", f: func(context.Context, *listener.Message) error { panic("kaboom") },
			wantLevel: "ERROR", wantMsg: "listener handler panicked; will retry", wantStack: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs logRecords
			l := &funcConcurrent{f: tt.f}
			spec, err := listener.Parse(l, nil)
			if err != nil {
				t.Fatal(err)
			}
			d, err := listener.NewDispatcher(spec, l, listener.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			if res := consume(d, t.Context(), ext("id1")); res != client.ConsumeRetry {
				t.Fatalf("Consume = %v, want retry", res)
			}
			recs := logs.records(t)
			if len(recs) != 1 {
				t.Fatalf("logged %d records, want 1: %v", len(recs), recs)
			}
			r := recs[0]
			stack, _ := r["stack"].(string)
			if r["level"] != tt.wantLevel || r["msg"] != tt.wantMsg || r["msg_id"] != "id1" || r["listener"] != "funcConcurrent" ||
				(stack != "") != tt.wantStack {
				t.Fatalf("record = %v, want level %s msg %q msg_id id1, stack %v", r, tt.wantLevel, tt.wantMsg, tt.wantStack)
			}
		})
	}
}

// NewMessage (a message built outside a delivery, e.g. in tests) takes its
// business keys from the KEYS property, split on spaces.
func TestNewMessageKeysFromProperty(t *testing.T) {
	m := listener.NewMessage("t", "tag", []byte("b"), map[string]string{"KEYS": "k1  k2", "X": "y"}, nil)
	if !slices.Equal(m.Keys, []string{"k1", "k2"}) || m.Property("X") != "y" {
		t.Fatalf("Keys = %q, Property(X) = %q; want [k1 k2], y", m.Keys, m.Property("X"))
	}
	if m := listener.NewMessage("t", "", nil, map[string]string{"X": "y"}, nil); m.Keys != nil {
		t.Fatalf("Keys without KEYS = %q, want nil", m.Keys)
	}
}

// Outcome names are the metric and trace labels; a value past the known
// ones is "unknown", not a panic.
func TestOutcomeNames(t *testing.T) {
	want := map[listener.Outcome]string{
		listener.OutcomeSuccess: "success", listener.OutcomeRetry: "retry", listener.OutcomeDiscard: "discard",
		listener.OutcomePanic: "panic", listener.OutcomeInterrupted: "interrupted",
		listener.OutcomeInterrupted + 1: "unknown", 1000: "unknown",
	}
	for o, name := range want {
		if got := o.String(); got != name {
			t.Errorf("Outcome(%d).String() = %q, want %q", int(o), got, name)
		}
	}
}

type numberTags struct {
	listener.Concurrent `topic:"t" consumers:"${consumers:1}" maxReconsume:"${maxReconsume:3}" delayLevelWhenNextConsume:"${delay:0}" timeout:"${timeout:1s}"`
}

func (*numberTags) Handle(context.Context, *listener.Message) error { return nil }

type batchTag struct {
	listener.Concurrent `topic:"t" batch:"${batch:1}"`
}

func (*batchTag) HandleBatch(context.Context, []*listener.Message) error { return nil }

type suspendTag struct {
	listener.Orderly `topic:"t" suspend:"${suspend:1s}"`
}

func (*suspendTag) Handle(context.Context, *listener.Message) error { return nil }

// The number tags accept exactly their documented ranges, both ends
// included: consumers 1..1000, maxReconsume -1..OrderlyUnlimited (-1: the
// default), batch 1..1024, delayLevelWhenNextConsume 0..65536, and
// durations from 0 (suspend; timeout must be positive) up to 2^62 ns in
// milliseconds.
func TestNumberTagRanges(t *testing.T) {
	get := func(s *listener.Spec, key string) int64 {
		switch key {
		case "consumers":
			return int64(s.Consumers)
		case "maxReconsume":
			return int64(s.MaxReconsume)
		case "batch":
			return int64(s.Batch)
		case "delay":
			return int64(s.RetryDelayLevel)
		case "suspend":
			return int64(s.Suspend)
		case "timeout":
			return int64(s.Timeout)
		}
		panic(key)
	}
	maxMillis := fmt.Sprint(int64(time.Duration(1<<62) / time.Millisecond))
	for _, tt := range []struct {
		l     any
		key   string // placeholder, and the tag key unless tag is set
		tag   string
		value string
		want  int64 // when ok
		ok    bool
	}{
		{&numberTags{}, "consumers", "", "1", 1, true},
		{&numberTags{}, "consumers", "", "1000", 1000, true},
		{&numberTags{}, "consumers", "", "0", 0, false},
		{&numberTags{}, "consumers", "", "1001", 0, false},
		{&numberTags{}, "maxReconsume", "", "-1", -1, true},
		{&numberTags{}, "maxReconsume", "", "0", 0, true},
		{&numberTags{}, "maxReconsume", "", "-2", 0, false},
		{&numberTags{}, "maxReconsume", "", fmt.Sprint(listener.OrderlyUnlimited), listener.OrderlyUnlimited, true},
		{&numberTags{}, "maxReconsume", "", fmt.Sprint(listener.OrderlyUnlimited + 1), 0, false},
		{&numberTags{}, "delay", "delayLevelWhenNextConsume", "0", 0, true},
		{&numberTags{}, "delay", "delayLevelWhenNextConsume", "65536", 65536, true},
		{&numberTags{}, "delay", "delayLevelWhenNextConsume", "-1", 0, false},
		{&numberTags{}, "delay", "delayLevelWhenNextConsume", "65537", 0, false},
		{&batchTag{}, "batch", "", "1", 1, true},
		{&batchTag{}, "batch", "", "1024", 1024, true},
		{&batchTag{}, "batch", "", "0", 0, false},
		{&batchTag{}, "batch", "", "1025", 0, false},
		{&suspendTag{}, "suspend", "", "0", 0, true},
		{&suspendTag{}, "suspend", "", "0s", 0, true},
		{&suspendTag{}, "suspend", "", "-1ms", 0, false},
		{&suspendTag{}, "suspend", "", maxMillis, int64(time.Duration(1<<62) / time.Millisecond * time.Millisecond), true},
		{&suspendTag{}, "suspend", "", maxMillis + "0", 0, false},
		{&numberTags{}, "timeout", "", "1", int64(time.Millisecond), true},
		{&numberTags{}, "timeout", "", "0", 0, false},
		{&numberTags{}, "timeout", "", "0s", 0, false},
	} {
		tag := tt.tag
		if tag == "" {
			tag = tt.key
		}
		s, err := listener.Parse(tt.l, func(k string) (string, bool) { return tt.value, k == tt.key })
		if !tt.ok {
			var te *listener.TagError
			if !errors.As(err, &te) || te.Tag != tag {
				t.Errorf("%s:%q: err = %v, want a TagError on %s", tag, tt.value, err, tag)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s:%q: %v", tag, tt.value, err)
		} else if got := get(s, tt.key); got != tt.want {
			t.Errorf("%s:%q parsed as %d, want %d", tag, tt.value, got, tt.want)
		}
	}
}

// A placeholder key is made of [A-Za-z0-9._-], the ends of each range
// included; the bytes just outside each range are rejected.
func TestPlaceholderKeyAlphabet(t *testing.T) {
	lookup := func(k string) (string, bool) { return "<" + k + ">", true }
	for _, key := range []string{"a", "z", "A", "Z", "0", "9", ".", "_", "-", "az.AZ_09-"} {
		got, err := listener.Expand("x${"+key+"}y", lookup)
		if want := "x<" + key + ">y"; err != nil || got != want {
			t.Errorf("Expand(${%s}) = %q, %v; want %q", key, got, err, want)
		}
	}
	for _, key := range []string{"`", "{", "@", "[", "/", "a b", "k~"} {
		if got, err := listener.Expand("${"+key+"}", lookup); err == nil {
			t.Errorf("Expand(${%s}) = %q, want an error (byte outside [A-Za-z0-9._-])", key, got)
		}
	}
}

// A reply that cannot be sent is logged as a warning naming the request (the
// requester will time out); one that is sent logs nothing. Replies reports
// whether the dispatcher sends replies.
func TestReplySendFailureIsLogged(t *testing.T) {
	request := client.NewMessageExt(client.MessageExt{Topic: "t", Body: []byte("q")}, map[string]string{
		message.PropertyCluster: "C", message.PropertyCorrelationID: "c1", message.PropertyReplyToClient: "x@y",
		message.PropertyUniqKey: "req1"})
	for _, sendErr := range []error{nil, errors.New("gone")} {
		var logs logRecords
		l := &replyFunc{f: func(*listener.Message) (any, error) { return "answer", nil }}
		spec, err := listener.Parse(l, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := listener.NewDispatcher(spec, l, listener.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
			listener.WithReplySender(func(context.Context, *client.Message) error { return sendErr }))
		if err != nil {
			t.Fatal(err)
		}
		if !d.Replies() {
			t.Fatal("Replies() = false for a ReplyHandler")
		}
		if res := d.Consume(t.Context(), []*client.MessageExt{request}); res != client.ConsumeSuccess {
			t.Fatalf("send error %v: Consume = %v, want success", sendErr, res)
		}
		recs := logs.records(t)
		switch {
		case sendErr == nil && len(recs) != 0:
			t.Errorf("reply sent: logged %v, want nothing", recs)
		case sendErr != nil && (len(recs) != 1 || recs[0]["level"] != "WARN" || recs[0]["msg_id"] != "req1" ||
			!strings.Contains(fmt.Sprint(recs[0]["msg"]), "could not send its reply")):
			t.Errorf("reply not sent: logged %v, want one warning for req1", recs)
		}
	}
	d, _ := newDispatcher(t, &untimed{f: func(context.Context, *listener.Message) error { return nil }})
	if d.Replies() {
		t.Error("Replies() = true for a plain Handler")
	}
}

// A derived group is the group a service's consumers are known by (their
// offsets hang on it): bytes of [a-zA-Z0-9_-] are kept, the ends of each
// range included, others become '_'; a name of 255 bytes is kept whole,
// a longer one cut to 255 with a hash suffix.
func TestDeriveGroupAlphabetAndLength(t *testing.T) {
	spec := &listener.Spec{Topic: "t", Listener: "L"}
	if got, want := listener.DeriveGroup("azAZ09_-`{@[/:.", spec), "azAZ09_-_______-t-L"; got != want {
		t.Errorf("DeriveGroup = %q, want %q", got, want)
	}
	service := strings.Repeat("s", 255-len("-t-L"))
	if got := listener.DeriveGroup(service, spec); got != service+"-t-L" {
		t.Errorf("255-byte group changed to %q", got)
	}
	long := listener.DeriveGroup(service+"x", spec)
	if len(long) != 255 || !strings.HasPrefix(long, service[:255-9]+"-") || long == listener.DeriveGroup(service+"y", spec) {
		t.Errorf("256-byte name derived %q (%d bytes), want 255 bytes with a hash suffix", long, len(long))
	}
}
