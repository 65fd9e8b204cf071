package remoting

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of skipped values (unknown keys).
const maxJSONDepth = 64

// decodeJSONHeader decodes a JSON (serialize type 0) header.
//
// Allocation: the parser records where each string the Command keeps
// (language, remark, extFields keys and values) lies in the header; then one
// string is built: the header bytes as they are when no kept string has an
// escape, or with those strings' escapes decoded in place otherwise. The
// Command's strings are substrings of it, so decoding costs that one string
// plus the Command (which has room for 16 fields inline), escapes or not.
// This matters: the client escapes the \x01/\x02 separators of the
// "properties" field as \u0001/\u0002, so every send request has escapes.
//
// Accepted, as the Java broker's fastjson accepts them: the keys code,
// language, version, opaque, flag, remark and extFields in any order; unknown
// keys with any JSON value (skipped); null for any known key (zero value);
// code, version, opaque and flag as integers or as strings holding one; a
// language that is a number (mapped like the binary header's language byte)
// or any other JSON value (ignored); extFields values of any JSON type: a
// number, true, false, an object or an array is kept as its JSON text (a
// JavaScript client writes queueId:1), and null removes the key, as
// fastjson's put(key, null) into a map of strings does. Duplicate keys: the
// last wins, except that extFields objects accumulate. Rejected with
// ErrMalformed: invalid JSON, trailing data, numbers that are not integers or
// do not fit the field. String bytes are not checked for UTF-8 validity and
// pass through unchanged; unpaired \u surrogates decode to U+FFFD, as in
// encoding/json.
func decodeJSONHeader(b []byte) (*Command, error) {
	var d jsonDecoder
	d.b = b
	if err := d.header(&d.cmd); err != nil {
		return nil, err
	}
	return d.materialize(), nil
}

// Kinds of recorded string tokens.
const (
	tokDead   = iota // superseded (e.g. a remark followed by "remark":null)
	tokKey           // extFields key; always directly followed by its tokValue
	tokValue         // extFields value
	tokRemark        // remark
	tokLang          // language
	tokNull          // extFields value null: the key is removed; empty
)

// tok is a kept string: the bounds of its body in the header (in the decoded
// string after materialize), whether it has escapes, and what it is.
type tok struct {
	start, end int
	escaped    bool
	kind       uint8
}

// jsonDecoder holds the decoding state. It lives on the stack: tokens go to a
// fixed array in document order, and only an overflow goes to the heap.
type jsonDecoder struct {
	b        []byte
	i        int
	cmd      Command // scalars; strings are set by materialize
	nfields  int
	toks     [2*inlineFields + 2]tok
	more     []tok // tokens beyond len(toks)
	ntoks    int   // len(toks) + len(more) when toks is full
	nescaped int
}

// tok returns the i'th recorded token.
func (d *jsonDecoder) tok(i int) *tok {
	if i < len(d.toks) {
		return &d.toks[i]
	}
	return &d.more[i-len(d.toks)]
}

// keep records the string literal at d.i, which holds '"', as a token of the
// given kind.
func (d *jsonDecoder) keep(kind uint8) error {
	start, end, escaped, err := d.scanString()
	if err != nil {
		return err
	}
	if escaped {
		d.nescaped++
	}
	d.record(tok{start: start, end: end, escaped: escaped, kind: kind})
	return nil
}

// record appends t to the recorded tokens.
func (d *jsonDecoder) record(t tok) {
	if d.ntoks < len(d.toks) {
		d.toks[d.ntoks] = t
	} else {
		d.more = append(d.more, t)
	}
	d.ntoks++
}

// kill marks the tokens of kind as superseded.
func (d *jsonDecoder) kill(kind uint8) {
	for i := range d.ntoks {
		if t := d.tok(i); t.kind == kind {
			t.kind = tokDead
		}
	}
}

// materialize allocates the Command, builds the one string and points the
// Command's strings into it. Tokens are applied in document order, so the
// last remark or language wins.
func (d *jsonDecoder) materialize() *Command {
	c := newCommand(d.nfields)
	fields := c.ExtFields
	*c = d.cmd
	c.ExtFields = fields
	n := d.ntoks
	if n == 0 {
		return c
	}
	first, last := d.tok(0).start, d.tok(n-1).end
	var s string
	if d.nescaped == 0 {
		s = string(d.b[first:last])
		for i := range n {
			t := d.tok(i)
			t.start -= first
			t.end -= first
		}
	} else {
		// The header from the first token to the last, with the escaped
		// tokens decoded. prev is the header offset written up to; until
		// the next escaped token, header offset p lands at sb.Len()+p-prev.
		var sb strings.Builder
		sb.Grow(last - first)
		prev := first
		for i := range n {
			t := d.tok(i)
			if !t.escaped {
				t.start, t.end = sb.Len()+t.start-prev, sb.Len()+t.end-prev
				continue
			}
			sb.Write(d.b[prev:t.start])
			raw := d.b[t.start:t.end]
			prev = t.end
			t.start = sb.Len()
			unescapeTo(&sb, raw)
			t.end = sb.Len()
		}
		sb.Write(d.b[prev:last])
		s = sb.String()
	}
	for i := 0; i < n; i++ {
		switch t := d.tok(i); t.kind {
		case tokKey: // always directly followed by its value
			v := d.tok(i + 1)
			i++
			if v.kind == tokNull { // a map's put(key, null): the key is gone
				key := s[t.start:t.end]
				c.ExtFields = slices.DeleteFunc(c.ExtFields, func(f Field) bool { return f.Key == key })
				continue
			}
			c.ExtFields = append(c.ExtFields, Field{Key: s[t.start:t.end], Value: s[v.start:v.end]})
		case tokRemark:
			c.Remark = s[t.start:t.end]
		case tokLang:
			c.Language = s[t.start:t.end]
		}
	}
	return c
}

func (d *jsonDecoder) header(c *Command) error {
	d.ws()
	if !d.consume('{') {
		return d.syntax("expected '{'")
	}
	d.ws()
	if d.consume('}') {
		return d.end()
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return d.syntax("expected object key")
		}
		start, end, escaped, err := d.scanString()
		if err != nil {
			return err
		}
		key := d.b[start:end]
		if escaped {
			key = appendUnescaped(nil, key)
		}
		d.ws()
		if !d.consume(':') {
			return d.syntax("expected ':'")
		}
		d.ws()
		var v int64
		switch string(key) {
		case "code":
			v, err = d.integer("code", math.MinInt16, math.MaxInt16)
			c.Code = int16(v)
		case "language":
			err = d.language(c)
		case "version":
			v, err = d.integer("version", math.MinInt16, math.MaxInt16)
			c.Version = int16(v)
		case "opaque":
			v, err = d.integer("opaque", math.MinInt32, math.MaxInt32)
			c.Opaque = int32(v)
		case "flag":
			v, err = d.integer("flag", math.MinInt32, math.MaxInt32)
			c.Flag = int32(v)
		case "remark":
			err = d.remark(c)
		case "extFields":
			err = d.extFields()
		default:
			err = d.skip(0)
		}
		if err != nil {
			return err
		}
		d.ws()
		switch d.next() {
		case ',':
		case '}':
			return d.end()
		default:
			return d.syntax("expected ',' or '}' after a value")
		}
	}
}

func (d *jsonDecoder) extFields() error {
	if d.literal("null") {
		return nil
	}
	if !d.consume('{') {
		return d.syntax("extFields is not an object")
	}
	d.ws()
	if d.consume('}') {
		return nil
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return d.syntax("expected extFields key")
		}
		keyAt := d.i
		if err := d.keep(tokKey); err != nil {
			return err
		}
		d.ws()
		if !d.consume(':') {
			return d.syntax("expected ':'")
		}
		d.ws()
		if err := d.extValue(d.b[keyAt : d.tok(d.ntoks-1).end+1]); err != nil {
			return err
		}
		d.nfields++
		d.ws()
		switch d.next() {
		case ',':
		case '}':
			return nil
		default:
			return d.syntax("expected ',' or '}' in extFields")
		}
	}
}

// extValue records the extFields value at d.i, the value of key (quoted, for
// errors). Like Java's fastjson decoding into a map of strings: a string is
// kept, null removes the key, and a number, true, false, an object or an
// array is kept as its JSON text (fastjson re-spells floats with exponents
// and objects; the text is kept as sent).
func (d *jsonDecoder) extValue(key []byte) error {
	switch p := d.peek(); {
	case p == '"':
		return d.keep(tokValue)
	case p == 'n' && d.literal("null"):
		d.record(tok{start: d.i, end: d.i, kind: tokNull})
		return nil
	}
	start := d.i
	if err := d.skip(1); err != nil {
		return fmt.Errorf("%w, in the extFields value of %s", err, key)
	}
	d.record(tok{start: start, end: d.i, kind: tokValue})
	return nil
}

func (d *jsonDecoder) language(c *Command) error {
	switch p := d.peek(); {
	case p == '"':
		return d.keep(tokLang)
	case p == '-' || p >= '0' && p <= '9':
		d.kill(tokLang)
		v, err := d.integer("language", math.MinInt64/10, math.MaxInt64/10)
		c.Language = languageName(v)
		return err
	default: // the client accepts any value here, and so do we
		d.kill(tokLang)
		c.Language = ""
		return d.skip(0)
	}
}

func (d *jsonDecoder) remark(c *Command) error {
	if d.literal("null") {
		d.kill(tokRemark)
		c.Remark = ""
		return nil
	}
	if d.peek() != '"' {
		return d.syntax("remark is not a string")
	}
	return d.keep(tokRemark)
}

// integer decodes a JSON integer (or null, as 0) within [lo, hi]. Like
// fastjson, it also takes the integer as a string ("12"; "" is 0).
func (d *jsonDecoder) integer(key string, lo, hi int64) (int64, error) {
	if d.literal("null") {
		return 0, nil
	}
	if d.peek() == '"' {
		return d.quotedInteger(key, lo, hi)
	}
	neg := d.consume('-')
	start := d.i
	var v int64
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c < '0' || c > '9' {
			break
		}
		if v <= math.MaxInt64/100 { // beyond, v is out of every range anyway
			v = v*10 + int64(c-'0')
		}
		d.i++
	}
	switch n := d.i - start; {
	case n == 0:
		return 0, fmt.Errorf("%w: JSON header: %s is not a number", ErrMalformed, key)
	case n > 1 && d.b[start] == '0':
		return 0, fmt.Errorf("%w: JSON header: %s has a leading zero", ErrMalformed, key)
	case n > 18: // v stopped accumulating
		return 0, fmt.Errorf("%w: JSON header: %s out of range", ErrMalformed, key)
	}
	if p := d.peek(); p == '.' || p == 'e' || p == 'E' {
		return 0, fmt.Errorf("%w: JSON header: %s is not an integer", ErrMalformed, key)
	}
	if neg {
		v = -v
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%w: JSON header: %s out of range", ErrMalformed, key)
	}
	return v, nil
}

// quotedInteger is integer for a string at d.i, which holds '"'.
func (d *jsonDecoder) quotedInteger(key string, lo, hi int64) (int64, error) {
	start, end, escaped, err := d.scanString()
	if err != nil {
		return 0, err
	}
	if start == end {
		return 0, nil
	}
	v, perr := strconv.ParseInt(string(d.b[start:end]), 10, 64)
	if escaped || perr != nil {
		return 0, fmt.Errorf("%w: JSON header: %s %q is not an integer", ErrMalformed, key, d.b[start:end])
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%w: JSON header: %s out of range", ErrMalformed, key)
	}
	return v, nil
}

// strStop marks the bytes that end the fast scan of a string body.
var strStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// scanString validates the string literal at d.i (which holds '"'), moves
// past it and returns the bounds of its body and whether it has escapes.
func (d *jsonDecoder) scanString() (start, end int, escaped bool, err error) {
	b := d.b
	start = d.i + 1
	i := start
	for {
		for i < len(b) && !strStop[b[i]] {
			i++
		}
		if i >= len(b) {
			d.i = len(b)
			return 0, 0, false, d.syntax("unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return start, i, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				d.i = len(b)
				return 0, 0, false, d.syntax("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(b, i+2); !ok {
					d.i = i
					return 0, 0, false, d.syntax("invalid \\u escape")
				}
				i += 6
			default:
				d.i = i
				return 0, 0, false, d.syntax("invalid escape")
			}
		default:
			d.i = i
			return 0, 0, false, d.syntax("control character in string")
		}
	}
}

// unescapeTo writes the decoded form of s, a string body validated by
// scanString, to out.
func unescapeTo(out *strings.Builder, s []byte) {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			out.Write(s)
			return
		}
		out.Write(s[:i])
		e := s[i+1]
		s = s[i+2:]
		switch e {
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r, _ := hex4(s, 0)
			s = s[4:]
			if r < utf8.RuneSelf {
				out.WriteByte(byte(r))
				continue
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by an escaped low one is a pair;
				// anything else is unpaired and becomes U+FFFD, as in
				// encoding/json. An escape that does not complete the pair
				// is decoded on its own by the next iteration.
				r2, ok := rune(0), false
				if r < 0xDC00 && len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2, ok = hex4(s, 2)
				}
				if ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = utf16.DecodeRune(r, r2)
					s = s[6:]
				} else {
					r = utf8.RuneError
				}
			}
			out.WriteRune(r)
		default: // '"', '\\', '/'
			out.WriteByte(e)
		}
	}
}

// appendUnescaped is unescapeTo for the rare escaped top-level key.
func appendUnescaped(dst, s []byte) []byte {
	var b strings.Builder
	unescapeTo(&b, s)
	return append(dst, b.String()...)
}

func hex4(s []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
