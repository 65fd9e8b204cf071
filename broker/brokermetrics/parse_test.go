package brokermetrics

// A strict parser of the text exposition format 0.0.4, for the tests:
// it accepts only what the format allows and what this package promises
// on top (each family declared once with HELP then TYPE before its
// samples, counters ending in _total and never negative, histogram series
// complete and cumulative, no series twice), and fails on anything else.

import (
	"bufio"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parsedSample is one sample line.
type parsedSample struct {
	name   string // with its suffix (_bucket, _sum, _count)
	labels map[string]string
	value  float64
}

// parsedFamily is one metric family.
type parsedFamily struct {
	name, typ, help string
	samples         []parsedSample
}

// exposition is a parsed scrape, families by name.
type exposition map[string]*parsedFamily

// parseExposition parses text strictly.
func parseExposition(text string) (exposition, error) {
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("the text does not end with a line feed")
	}
	fams := exposition{}
	var cur *parsedFamily
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", n, line, fmt.Sprintf(format, args...))
		}
		switch {
		case line == "":
			return nil, fail("empty line")
		case strings.HasPrefix(line, "# HELP "):
			name, help, ok := strings.Cut(line[len("# HELP "):], " ")
			if !ok || !validMetricName(name) {
				return nil, fail("bad HELP")
			}
			if _, dup := fams[name]; dup {
				return nil, fail("family %s declared twice", name)
			}
			h, err := unescape(help, false)
			if err != nil {
				return nil, fail("%v", err)
			}
			cur = &parsedFamily{name: name, help: h}
			fams[name] = cur
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, ok := strings.Cut(line[len("# TYPE "):], " ")
			if !ok || cur == nil || cur.name != name || cur.typ != "" {
				return nil, fail("TYPE must follow its family's HELP, once")
			}
			switch typ {
			case "counter", "gauge", "histogram":
			default:
				return nil, fail("type %q", typ)
			}
			if typ == "counter" && !strings.HasSuffix(name, "_total") {
				return nil, fail("counter without _total")
			}
			cur.typ = typ
		case strings.HasPrefix(line, "#"):
			return nil, fail("unexpected comment")
		default:
			if cur == nil || cur.typ == "" {
				return nil, fail("sample before HELP and TYPE")
			}
			smp, err := parseSample(line)
			if err != nil {
				return nil, fail("%v", err)
			}
			if !belongs(smp.name, cur) {
				return nil, fail("sample of %s inside family %s", smp.name, cur.name)
			}
			if cur.typ == "counter" && !(smp.value >= 0) {
				return nil, fail("counter value %v", smp.value)
			}
			cur.samples = append(cur.samples, smp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, f := range fams {
		if len(f.samples) == 0 {
			return nil, fmt.Errorf("family %s has no samples", f.name)
		}
		if err := checkSeries(f); err != nil {
			return nil, err
		}
	}
	return fams, nil
}

func belongs(name string, f *parsedFamily) bool {
	if f.typ != "histogram" {
		return name == f.name
	}
	return name == f.name+"_bucket" || name == f.name+"_sum" || name == f.name+"_count"
}

// parseSample reads `name{l="v",...} value`.
func parseSample(line string) (parsedSample, error) {
	var s parsedSample
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value")
	}
	s.name = line[:i]
	if !validMetricName(s.name) {
		return s, fmt.Errorf("metric name %q", s.name)
	}
	rest := line[i:]
	s.labels = map[string]string{}
	if rest[0] == '{' {
		rest = rest[1:]
		for rest != "" && rest[0] != '}' {
			eq := strings.IndexByte(rest, '=')
			if eq < 0 {
				return s, fmt.Errorf("label without =")
			}
			name := rest[:eq]
			if !validLabelName(name) {
				return s, fmt.Errorf("label name %q", name)
			}
			if _, dup := s.labels[name]; dup {
				return s, fmt.Errorf("label %s twice", name)
			}
			rest = rest[eq+1:]
			if rest == "" || rest[0] != '"' {
				return s, fmt.Errorf("label %s: value not quoted", name)
			}
			end := closingQuote(rest)
			if end < 0 {
				return s, fmt.Errorf("label %s: unterminated value", name)
			}
			v, err := unescape(rest[1:end], true)
			if err != nil {
				return s, fmt.Errorf("label %s: %w", name, err)
			}
			s.labels[name] = v
			rest = rest[end+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return s, fmt.Errorf("label %s: want , or }", name)
			}
		}
		if rest == "" {
			return s, fmt.Errorf("unterminated labels")
		}
		rest = rest[1:]
	}
	if !strings.HasPrefix(rest, " ") || strings.Contains(rest[1:], " ") {
		return s, fmt.Errorf("want one space then the value (no timestamps here)")
	}
	v, err := parseValue(rest[1:])
	if err != nil {
		return s, err
	}
	s.value = v
	return s, nil
}

// closingQuote returns the index of the quote closing the value that
// starts at s[0], skipping escaped characters.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// unescape undoes the format's escapes: \\ and \n, and \" in label values;
// any other backslash, a raw line feed or (label values) a raw quote is an
// error, as is invalid UTF-8.
func unescape(s string, label bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 == len(s) {
				return "", fmt.Errorf("trailing backslash")
			}
			i++
			switch s[i] {
			case '\\':
				b.WriteByte('\\')
			case 'n':
				b.WriteByte('\n')
			case '"':
				if !label {
					return "", fmt.Errorf(`\" outside a label value`)
				}
				b.WriteByte('"')
			default:
				return "", fmt.Errorf(`bad escape \%c`, s[i])
			}
		case c == '\n', label && c == '"':
			return "", fmt.Errorf("raw %q", c)
		default:
			b.WriteByte(c)
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", fmt.Errorf("invalid UTF-8")
	}
	return b.String(), nil
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("value %q", s)
	}
	return v, nil
}

func validMetricName(s string) bool { return validIdent(s, true) }
func validLabelName(s string) bool  { return validIdent(s, false) && !strings.HasPrefix(s, "__") }

func validIdent(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' || colon && c == ':') {
			return false
		}
	}
	return true
}

// seriesKey identifies a series by sample name and labels (le aside).
func seriesKey(name string, labels map[string]string, skipLE bool) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if !(skipLE && k == "le") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		fmt.Fprintf(&b, "|%s=%q", k, labels[k])
	}
	return b.String()
}

// checkSeries refuses duplicate series and, for histograms, series whose
// buckets are not ascending by le, not cumulative, without +Inf, or whose
// +Inf bucket differs from _count, or without _sum.
func checkSeries(f *parsedFamily) error {
	seen := map[string]bool{}
	for _, s := range f.samples {
		k := seriesKey(s.name, s.labels, false)
		if seen[k] {
			return fmt.Errorf("%s: series %s twice", f.name, k)
		}
		seen[k] = true
	}
	if f.typ != "histogram" {
		for _, s := range f.samples {
			if _, ok := s.labels["le"]; ok {
				return fmt.Errorf("%s: le label outside a histogram", f.name)
			}
		}
		return nil
	}
	type hist struct {
		les, counts []float64
		sum, count  *float64
	}
	series := map[string]*hist{}
	get := func(labels map[string]string) *hist {
		k := seriesKey("", labels, true)
		if series[k] == nil {
			series[k] = &hist{}
		}
		return series[k]
	}
	for _, s := range f.samples {
		h := get(s.labels)
		v := s.value
		switch s.name {
		case f.name + "_bucket":
			le, ok := s.labels["le"]
			if !ok {
				return fmt.Errorf("%s: bucket without le", f.name)
			}
			b, err := parseValue(le)
			if err != nil {
				return fmt.Errorf("%s: le %q", f.name, le)
			}
			h.les, h.counts = append(h.les, b), append(h.counts, v)
		case f.name + "_sum":
			h.sum = &v
		case f.name + "_count":
			h.count = &v
		}
	}
	for k, h := range series {
		if h.sum == nil || h.count == nil || len(h.les) == 0 {
			return fmt.Errorf("%s%s: incomplete histogram", f.name, k)
		}
		for i := 1; i < len(h.les); i++ {
			if !(h.les[i] > h.les[i-1]) || h.counts[i] < h.counts[i-1] {
				return fmt.Errorf("%s%s: buckets not ascending and cumulative", f.name, k)
			}
		}
		last := len(h.les) - 1
		if !math.IsInf(h.les[last], 1) || h.counts[last] != *h.count {
			return fmt.Errorf("%s%s: +Inf bucket missing or not equal to _count", f.name, k)
		}
	}
	return nil
}

// value returns the value of the family's sample whose labels include
// want, and whether exactly one matched.
func (e exposition) value(name string, want map[string]string) (float64, bool) {
	f := e[name]
	if f == nil {
		return 0, false
	}
	var v float64
	n := 0
	for _, s := range f.samples {
		if s.name == name && matches(s.labels, want) {
			v, n = s.value, n+1
		}
	}
	return v, n == 1
}

// sum adds the values of the family's samples whose labels include want.
func (e exposition) sum(name string, want map[string]string) (total float64, n int) {
	if f := e[name]; f != nil {
		for _, s := range f.samples {
			if s.name == name && matches(s.labels, want) {
				total, n = total+s.value, n+1
			}
		}
	}
	return total, n
}

func matches(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}
