package rkotel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is an SDK tracer provider recording every span and a meter
// provider read by hand.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t *testing.T) *telemetry {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tel := &telemetry{
		spans:  rec,
		tp:     sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample())),
		reader: reader,
		mp:     sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	}
	t.Cleanup(func() {
		_ = tel.tp.Shutdown(context.Background())
		_ = tel.mp.Shutdown(context.Background())
	})
	return tel
}

// waitSpan polls the ended spans until one is named name and satisfies
// match (nil: any), and returns it.
func (tel *telemetry) waitSpan(t *testing.T, name string, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	waitUntil(t, 30*time.Second, func() bool {
		for _, s := range tel.spans.Ended() {
			if s.Name() == name && (match == nil || match(s)) {
				found = s
				return true
			}
		}
		return false
	}, func() string { return "no span " + name + "; ended: " + spanNames(tel.spans.Ended()) })
	return found
}

// named returns the ended spans named name, in the order they ended.
func (tel *telemetry) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tel.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func spanNames(spans []sdktrace.ReadOnlySpan) string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	return strings.Join(names, ", ")
}

// waitUntil polls cond every 20ms until it holds, failing after timeout
// with what says.
func waitUntil(t *testing.T, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what())
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting for an event
	}
}

// attr returns span's attribute key ("" when absent), rendered.
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// wantAttrs checks span's attributes.
func wantAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := attr(s, k); got != v {
			t.Errorf("span %s: %s = %q, want %q", s.Name(), k, got, v)
		}
	}
}

// wantChild checks that child's parent is parent, in the same trace.
func wantChild(t *testing.T, child sdktrace.ReadOnlySpan, parent trace.SpanContext) {
	t.Helper()
	if child.SpanContext().TraceID() != parent.TraceID() || child.Parent().SpanID() != parent.SpanID() {
		t.Errorf("span %s (trace %s) has parent %s, want %s of trace %s", child.Name(), child.SpanContext().TraceID(),
			child.Parent().SpanID(), parent.SpanID(), parent.TraceID())
	}
}

// wantLink checks that s links to sc.
func wantLink(t *testing.T, s sdktrace.ReadOnlySpan, sc trace.SpanContext) {
	t.Helper()
	if !slices.ContainsFunc(s.Links(), func(l sdktrace.Link) bool {
		return l.SpanContext.TraceID() == sc.TraceID() && l.SpanContext.SpanID() == sc.SpanID()
	}) {
		t.Errorf("span %s does not link to %s/%s", s.Name(), sc.TraceID(), sc.SpanID())
	}
}

// metrics collects every metric, by name.
func (tel *telemetry) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// points renders a metric's data points as "attr=value,... → value" (a
// histogram's value is its count), sorted, leaving out messaging.system.
func points(m metricdata.Metrics) []string {
	var out []string
	render := func(set attribute.Set, v any) {
		var kvs []string
		for _, kv := range set.ToSlice() {
			if kv.Key != "messaging.system" {
				kvs = append(kvs, string(kv.Key)+"="+kv.Value.String())
			}
		}
		out = append(out, strings.Join(kvs, ",")+" → "+fmt.Sprint(v))
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			render(p.Attributes, p.Value)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			render(p.Attributes, p.Value)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			render(p.Attributes, p.Count)
		}
	default:
		out = append(out, fmt.Sprintf("unexpected data %T", m.Data))
	}
	slices.Sort(out)
	return out
}

// wantPoints checks a metric's data points exactly.
func wantPoints(t *testing.T, all map[string]metricdata.Metrics, name string, want ...string) {
	t.Helper()
	m, ok := all[name]
	if !ok {
		t.Errorf("no metric %s", name)
		return
	}
	slices.Sort(want)
	if got := points(m); !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", name, got, want)
	}
}

// handled records what a listener saw: each call's span context.
type handled struct {
	mu    sync.Mutex
	calls []trace.SpanContext
	ch    chan struct{}
}

func newHandled() *handled { return &handled{ch: make(chan struct{}, 100)} }

func (h *handled) add(ctx context.Context, _ *listener.Message) {
	h.mu.Lock()
	h.calls = append(h.calls, trace.SpanContextFromContext(ctx))
	h.mu.Unlock()
	h.ch <- struct{}{}
}

// wait waits for n calls and returns their span contexts.
func (h *handled) wait(t *testing.T, n int) []trace.SpanContext {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-h.ch:
		case <-timeout:
			t.Fatalf("listener called fewer than %d times in 30s", n)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}
