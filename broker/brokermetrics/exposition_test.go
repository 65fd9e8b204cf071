package brokermetrics

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rocketkit/rocketkit/broker/store"
)

// render writes one gauge with label value v.
func render(t testing.TB, v string) string {
	t.Helper()
	s := newSet()
	s.gauge("rocketmq_test", "Help with \\ and\nnewline.").add(1, "topic", v)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestLabelEscaping(t *testing.T) {
	for _, tc := range []struct{ in, line string }{
		{`plain`, `rocketmq_test{topic="plain"} 1`},
		{`a"b`, `rocketmq_test{topic="a\"b"} 1`},
		{`a\b`, `rocketmq_test{topic="a\\b"} 1`},
		{"a\nb", `rocketmq_test{topic="a\nb"} 1`},
		{`\n`, `rocketmq_test{topic="\\n"} 1`},
		{`\"`, `rocketmq_test{topic="\\\""} 1`},
		{"", `rocketmq_test{topic=""} 1`},
		{"a\tb,c=d}", "rocketmq_test{topic=\"a\tb,c=d}\"} 1"},
		{"\xff", `rocketmq_test{topic="` + "\uFFFD" + `"} 1`},
		{"%RETRY%g", `rocketmq_test{topic="%RETRY%g"} 1`},
	} {
		out := render(t, tc.in)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 || lines[0] != `# HELP rocketmq_test Help with \\ and\nnewline.` || lines[2] != tc.line {
			t.Errorf("label value %q:\n%s\nwant sample line %s", tc.in, out, tc.line)
			continue
		}
		exp, err := parseExposition(out)
		if err != nil {
			t.Errorf("label value %q: %v", tc.in, err)
			continue
		}
		want := strings.ToValidUTF8(tc.in, "\uFFFD")
		if got := exp["rocketmq_test"].samples[0].labels["topic"]; got != want {
			t.Errorf("label value %q reads back as %q", tc.in, got)
		}
	}
}

// FuzzLabelValue: any label value renders to an exposition the strict
// parser accepts, one sample line long, and reads back as the value (with
// invalid UTF-8 replaced by U+FFFD).
func FuzzLabelValue(f *testing.F) {
	for _, s := range []string{"", `"`, `\`, "\n", `\"\n`, "\xff\xfe", "}{,=", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out := render(t, v)
		if n := strings.Count(out, "\n"); n != 3 {
			t.Fatalf("%q rendered as %d lines:\n%s", v, n, out)
		}
		exp, err := parseExposition(out)
		if err != nil {
			t.Fatalf("%q: %v\n%s", v, err, out)
		}
		got := exp["rocketmq_test"].samples[0].labels["topic"]
		if want := strings.ToValidUTF8(v, "\uFFFD"); got != want || !utf8.ValidString(got) {
			t.Fatalf("%q reads back as %q", v, got)
		}
	})
}

func TestBadNamesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(s *set)
	}{
		{"metric with a dash", func(s *set) { s.gauge("rocketmq-lag", "").add(1) }},
		{"metric starting with a digit", func(s *set) { s.gauge("1rocketmq", "").add(1) }},
		{"metric with a colon", func(s *set) { s.gauge("rocketmq:lag", "").add(1) }},
		{"empty metric name", func(s *set) { s.gauge("", "").add(1) }},
		{"counter without _total", func(s *set) { s.counter("rocketmq_messages_in", "").add(1) }},
		{"name ending in _count", func(s *set) { s.gauge("rocketmq_count", "").add(1) }},
		{"one name, two types", func(s *set) { s.gauge("rocketmq_x", "").add(1); s.histogram("rocketmq_x", "") }},
		{"label with a dash", func(s *set) { s.gauge("rocketmq_x", "").add(1, "consumer-group", "g") }},
		{"reserved label", func(s *set) { s.gauge("rocketmq_x", "").add(1, "__name__", "g") }},
		{"le outside a histogram", func(s *set) { s.gauge("rocketmq_x", "").add(1, "le", "1") }},
		{"odd label list", func(s *set) { s.gauge("rocketmq_x", "").add(1, "topic") }},
		{"series twice", func(s *set) {
			g := s.gauge("rocketmq_x", "")
			g.add(1, "topic", "a")
			g.add(2, "topic", "a")
		}},
	} {
		s := newSet()
		tc.set(s)
		var buf bytes.Buffer
		if _, err := s.WriteTo(&buf); err == nil {
			t.Errorf("%s: written:\n%s", tc.name, buf.String())
		} else if buf.Len() != 0 {
			t.Errorf("%s: failed (%v) after writing %d bytes", tc.name, err, buf.Len())
		}
	}
	s := newSet()
	g := s.gauge("rocketmq_x", "")
	g.add(1, "topic", "a")
	g.add(1, "topic", "a")
	if _, err := s.WriteTo(new(bytes.Buffer)); !errors.Is(err, errDuplicateSeries) {
		t.Errorf("duplicate series: %v, want errDuplicateSeries", err)
	}
}

// A histogram renders cumulative buckets in bound order, +Inf equal to
// _count, then _sum and _count, per series, sorted by labels; values
// format without exponents for integers.
func TestHistogramAndValues(t *testing.T) {
	s := newSet()
	h := s.histogram("rocketmq_storage_fsync_latency_seconds", "fsync.")
	h.addHistogram(store.Histogram{Bounds: []float64{0.001, 0.01}, Cumulative: []uint64{2, 3}, Count: 4, Sum: 1.5},
		"broker", "b")
	h.addHistogram(store.Histogram{Bounds: []float64{0.001, 0.01}, Cumulative: []uint64{0, 0}, Count: 0, Sum: 0},
		"broker", "a")
	g := s.gauge("rocketmq_values", "")
	g.add(1e15, "v", "big")
	g.add(0.25, "v", "frac")
	g.add(math.Inf(1), "v", "inf")
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := `# HELP rocketmq_storage_fsync_latency_seconds fsync.
# TYPE rocketmq_storage_fsync_latency_seconds histogram
rocketmq_storage_fsync_latency_seconds_bucket{broker="a",le="0.001"} 0
rocketmq_storage_fsync_latency_seconds_bucket{broker="a",le="0.01"} 0
rocketmq_storage_fsync_latency_seconds_bucket{broker="a",le="+Inf"} 0
rocketmq_storage_fsync_latency_seconds_sum{broker="a"} 0
rocketmq_storage_fsync_latency_seconds_count{broker="a"} 0
rocketmq_storage_fsync_latency_seconds_bucket{broker="b",le="0.001"} 2
rocketmq_storage_fsync_latency_seconds_bucket{broker="b",le="0.01"} 3
rocketmq_storage_fsync_latency_seconds_bucket{broker="b",le="+Inf"} 4
rocketmq_storage_fsync_latency_seconds_sum{broker="b"} 1.5
rocketmq_storage_fsync_latency_seconds_count{broker="b"} 4
# HELP rocketmq_values 
# TYPE rocketmq_values gauge
rocketmq_values{v="big"} 1000000000000000
rocketmq_values{v="frac"} 0.25
rocketmq_values{v="inf"} +Inf
`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	if _, err := parseExposition(buf.String()); err != nil {
		t.Error(err)
	}
}
