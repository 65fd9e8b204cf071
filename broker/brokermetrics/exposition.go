package brokermetrics

// Prometheus text exposition format 0.0.4, written by hand: a set of
// metric families, each with HELP and TYPE lines and its samples, sorted
// by labels so that every scrape of the same state is byte-identical.

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/broker/store"
)

// ContentType is the Content-Type of the text exposition format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Metric types, as TYPE lines spell them.
const (
	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"
)

// sample is one line: a name suffix (histograms' _bucket, _sum, _count),
// label pairs and a value.
type sample struct {
	suffix string
	labels []string // name, value, name, value, ...
	value  float64
}

// family is one metric: its name, type, help and samples.
type family struct {
	name, typ, help string
	samples         []sample
	series          int // histograms: each series is several samples
}

// set is the families of one scrape, in the order they were declared.
// Bad names are programming errors: the first is kept in err and fails
// the whole exposition rather than producing text a scraper rejects.
type set struct {
	fams   []*family
	byName map[string]*family
	err    error
}

func newSet() *set { return &set{byName: map[string]*family{}} }

func (s *set) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// family declares a metric, or returns the one declared under name.
func (s *set) family(name, typ, help string) *family {
	if f := s.byName[name]; f != nil {
		if f.typ != typ {
			s.fail(fmt.Errorf("brokermetrics: %s declared as %s and %s", name, f.typ, typ))
		}
		return f
	}
	if err := checkMetricName(name, typ); err != nil {
		s.fail(err)
	}
	f := &family{name: name, typ: typ, help: help}
	s.fams = append(s.fams, f)
	s.byName[name] = f
	return f
}

func (s *set) counter(name, help string) *family { return s.family(name, typeCounter, help) }
func (s *set) gauge(name, help string) *family   { return s.family(name, typeGauge, help) }
func (s *set) histogram(name, help string) *family {
	return s.family(name, typeHistogram, help)
}

// add appends a sample with the given label pairs (name, value, ...).
func (f *family) add(value float64, labels ...string) {
	f.samples = append(f.samples, sample{labels: labels, value: value})
	f.series++
}

// addInt is add for integer counts.
func (f *family) addInt(value int64, labels ...string) { f.add(float64(value), labels...) }

// addHistogram appends a histogram series: a _bucket sample per bound and
// +Inf, then _sum and _count.
func (f *family) addHistogram(h store.Histogram, labels ...string) {
	for i, le := range h.Bounds {
		f.samples = append(f.samples, sample{suffix: "_bucket", labels: withLE(labels, formatFloat(le)),
			value: float64(h.Cumulative[i])})
	}
	f.samples = append(f.samples,
		sample{suffix: "_bucket", labels: withLE(labels, "+Inf"), value: float64(h.Count)},
		sample{suffix: "_sum", labels: labels, value: h.Sum},
		sample{suffix: "_count", labels: labels, value: float64(h.Count)})
	f.series++
}

func withLE(labels []string, le string) []string {
	return append(slices.Clip(labels), "le", le)
}

// WriteTo writes the exposition: families in declaration order (those
// without samples left out), samples sorted by name suffix and labels.
// It fails without writing anything when a name or a label is invalid or
// a series appears twice.
func (s *set) WriteTo(w io.Writer) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	for _, f := range s.fams {
		if err := f.check(); err != nil {
			return 0, err
		}
	}
	cw := &countWriter{w: bufio.NewWriter(w)}
	for _, f := range s.fams {
		if len(f.samples) == 0 {
			continue
		}
		cw.str("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
		cw.str("# TYPE " + f.name + " " + f.typ + "\n")
		for _, sm := range f.samples {
			cw.str(f.name + sm.suffix)
			if len(sm.labels) > 0 {
				cw.str("{")
				for i := 0; i < len(sm.labels); i += 2 {
					if i > 0 {
						cw.str(",")
					}
					cw.str(sm.labels[i] + `="` + escapeLabelValue(sm.labels[i+1]) + `"`)
				}
				cw.str("}")
			}
			cw.str(" " + formatFloat(sm.value) + "\n")
		}
	}
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, cw.err
}

// check validates f's label names and sorts its samples, refusing a
// series that appears twice.
func (f *family) check() error {
	for _, sm := range f.samples {
		if len(sm.labels)%2 != 0 {
			return fmt.Errorf("brokermetrics: %s: odd label list %q", f.name, sm.labels)
		}
		for i := 0; i < len(sm.labels); i += 2 {
			if err := checkLabelName(sm.labels[i]); err != nil {
				return fmt.Errorf("brokermetrics: %s: %w", f.name, err)
			}
			if sm.labels[i] == "le" && (f.typ != typeHistogram || i != len(sm.labels)-2 || sm.suffix != "_bucket") {
				return fmt.Errorf("brokermetrics: %s: label le is reserved for histogram buckets", f.name)
			}
		}
	}
	// A stable sort by labels then suffix keeps each histogram series'
	// buckets in bound order, then _sum and _count, series by series.
	slices.SortStableFunc(f.samples, func(a, b sample) int {
		return cmp.Or(compareLabels(stripLE(a.labels), stripLE(b.labels)), suffixRank(a.suffix)-suffixRank(b.suffix))
	})
	for i := 1; i < len(f.samples); i++ {
		a, b := f.samples[i-1], f.samples[i]
		if a.suffix == b.suffix && compareLabels(a.labels, b.labels) == 0 {
			return fmt.Errorf("%w: %s%s%v", errDuplicateSeries, f.name, a.suffix, a.labels)
		}
	}
	return nil
}

var errDuplicateSeries = errors.New("brokermetrics: series appears twice")

func stripLE(labels []string) []string {
	if n := len(labels); n >= 2 && labels[n-2] == "le" {
		return labels[:n-2]
	}
	return labels
}

func suffixRank(s string) int {
	switch s {
	case "_bucket":
		return 1
	case "_sum":
		return 2
	case "_count":
		return 3
	}
	return 0
}

func compareLabels(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// checkMetricName validates a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, no
// colon: colons are for recording rules) and the suffix its type implies:
// a counter ends in _total; no name ends in a suffix a histogram's
// samples add.
func checkMetricName(name, typ string) error {
	if !validName(name, false) {
		return fmt.Errorf("brokermetrics: invalid metric name %q", name)
	}
	if typ == typeCounter && !strings.HasSuffix(name, "_total") {
		return fmt.Errorf("brokermetrics: counter %q does not end in _total", name)
	}
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("brokermetrics: metric name %q ends in %s", name, s)
		}
	}
	return nil
}

// checkLabelName validates a label name: [a-zA-Z_][a-zA-Z0-9_]*, not
// starting with __ (reserved).
func checkLabelName(name string) error {
	if !validName(name, false) || strings.HasPrefix(name, "__") {
		return fmt.Errorf("invalid label name %q", name)
	}
	return nil
}

func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' || colon && c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// escapeLabelValue escapes a label value for the text format: backslash,
// double quote and line feed; invalid UTF-8 becomes U+FFFD, as the
// format is UTF-8.
func escapeLabelValue(v string) string {
	return labelEscaper.Replace(strings.ToValidUTF8(v, "\uFFFD"))
}

// escapeHelp escapes a HELP text: backslash and line feed.
func escapeHelp(v string) string {
	return helpEscaper.Replace(strings.ToValidUTF8(v, "\uFFFD"))
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// formatFloat formats a sample value: integers without exponent up to
// 2^53, other values in Go's shortest form, and +Inf, -Inf, NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1<<53:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// countWriter writes strings, keeping the first error and the count.
type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) str(s string) {
	if c.err != nil {
		return
	}
	n, err := c.w.WriteString(s)
	c.n += int64(n)
	c.err = err
}
