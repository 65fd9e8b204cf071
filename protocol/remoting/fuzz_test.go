package remoting

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are frames without their leading length.
func fuzzSeeds() [][]byte {
	seeds := [][]byte{
		nil, {0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {0, 0xff, 0xff, 0xff},
		frameFromHeader(0, clientSendHeader, []byte("hello"))[4:],
		frameFromHeader(0, clientRouteHeader, nil)[4:],
		frameFromHeader(0, clientNilMapHdr, []byte("{}"))[4:],
		frameFromHeader(0, clientHTMLPropsHdr, nil)[4:],
		frameFromHeader(0, `{"remark":"\ud83d\ude00\ud800\u0041","x":[{"y":-1.5e3}],"language":9}`, nil)[4:],
		frameFromHeader(0, `{"extFields":{"a":1}}`, nil)[4:],
		frameFromHeader(0, `{"code":"10","opaque":"7","extFields":{"queueId":3,"b":true,"n":null,"o":{"k":["\u0001",-1.5e3]},"n":"x"}}`, nil)[4:],
		frameFromHeader(0, `{"code":1}trailing`, []byte("b"))[4:],
		frameFromHeader(1, binaryHeader(11, 0, 1, 2, 3, "remark", Fields{{"k", "v"}, {"", ""}}), []byte("b"))[4:],
		frameFromHeader(1, binaryHeader(0, 9, 0, 0, 0, "", nil), nil)[4:],
		AppendFrame(nil, &Command{Remark: "\x00\"\\\xff", ExtFields: Fields{{"k", "v"}, {"k", "w"}}})[4:],
		AppendFrame(nil, &Command{Code: SendMessageV2, Language: "GO", Version: Version, Opaque: -5, Remark: "r\x00",
			ExtFields: clientSendFields, Body: []byte("body"), SerializeType: SerializeRocketMQ})[4:],
	}
	return seeds
}

// FuzzDecodeFrame checks DecodeFrame on arbitrary frames.
//
// Invariants:
//   - DecodeFrame never panics, and every error wraps ErrMalformed;
//   - a decoded command re-encoded with AppendFrame (in the serialize type
//     it came in) decodes to an equal command (the codec is lossless for
//     everything it accepts, JSON or binary), and encoding that again gives
//     the same bytes; a binary frame re-encodes to exactly its input;
//   - re-encoded in the other serialize type it decodes to the same
//     command but for the type (and, JSON to binary, a language name the
//     binary header cannot carry, which becomes OTHER);
//   - the re-encoded frame's length field matches its size;
//   - the JSON decoder is as lenient as fastjson and agrees with
//     encoding/json on extFields (for headers encoding/json reads the same
//     way: valid UTF-8, no escapes, one "extFields"): a string value is
//     itself, a number, boolean, object or array its JSON text, and a null
//     removes the key.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		c, err := DecodeFrame(b)
		if !bytes.Equal(in, b) {
			t.Fatal("DecodeFrame modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(b) >= 4 && b[0] == SerializeJSON {
			checkExtFieldsLenient(t, b[4:4+(int(b[1])<<16|int(b[2])<<8|int(b[3]))], c.ExtFields)
		}
		frame := AppendFrame(nil, c)
		if n := int(frame[0])<<24 | int(frame[1])<<16 | int(frame[2])<<8 | int(frame[3]); n != len(frame)-4 {
			t.Fatalf("length field %d, %d bytes follow", n, len(frame)-4)
		}
		c2, err := DecodeFrame(frame[4:])
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v\n%q", err, frame)
		}
		if d := equalCommands(c, c2); d != "" {
			t.Fatalf("round trip changed the command: %s\n%q", d, frame)
		}
		if again := AppendFrame(nil, c2); !bytes.Equal(again, frame) {
			t.Fatalf("encoding is not stable:\n%q\n%q", frame, again)
		}
		if b[0] == SerializeRocketMQ && !bytes.Equal(frame[4:], b) {
			t.Fatalf("binary frame re-encodes differently:\n%q\n%q", b, frame[4:])
		}
		other := *c
		other.SerializeType ^= SerializeRocketMQ
		c3, err := DecodeFrame(AppendFrame(nil, &other)[4:])
		if err != nil {
			t.Fatalf("frame re-encoded in serialize type %d does not decode: %v", other.SerializeType, err)
		}
		if other.SerializeType == SerializeRocketMQ && c3.Language != c.Language {
			if code := languageCode(c.Language); code != 7 || c3.Language != "OTHER" {
				t.Fatalf("language %q re-encoded as binary reads %q", c.Language, c3.Language)
			}
			c3.Language = c.Language
		}
		if d := equalCommands(&other, c3); d != "" {
			t.Fatalf("round trip through serialize type %d changed the command: %s", other.SerializeType, d)
		}
	})
}

// chunkReader returns its chunks one Read at a time, as a socket would
// deliver a partially written frame.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

type readResult struct {
	cmd *Command
	err error
}

func readAll(r *bufio.Reader) []readResult {
	var out []readResult
	for {
		c, err := ReadCommand(r, 1<<16)
		out = append(out, readResult{c, err})
		if err != nil {
			return out
		}
	}
}

// FuzzReadCommand feeds a byte stream to ReadCommand in two pieces, split at
// an arbitrary point, through a small bufio.Reader, and compares with reading
// it whole through a large one.
//
// Invariants:
//   - ReadCommand never panics;
//   - neither where the stream is split nor the reader's buffer size
//     matters: the commands and the final error equal those read from the
//     unsplit stream;
//   - the final error is io.EOF (clean end), io.ErrUnexpectedEOF, or wraps
//     ErrMalformed or ErrFrameTooLarge.
func FuzzReadCommand(f *testing.F) {
	for i, s := range fuzzSeeds() {
		frame := make([]byte, 4, 4+len(s))
		frame[3] = byte(len(s))
		frame[2] = byte(len(s) >> 8)
		frame = append(frame, s...)
		f.Add(frame, uint16(i*7))
		f.Add(append(bytes.Clone(frame), frame...), uint16(len(frame)+1))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		at := int(split)
		if at > len(data) {
			at = len(data)
		}
		// The unsplit stream goes through a large reader (frames decoded in
		// place), the split one through a tiny one (frames read into their
		// own buffer), so the two ReadCommand paths are checked against
		// each other too.
		whole := readAll(bufio.NewReaderSize(bytes.NewReader(data), 4096))
		parts := readAll(bufio.NewReaderSize(&chunkReader{chunks: [][]byte{
			bytes.Clone(data[:at]), bytes.Clone(data[at:]),
		}}, 16))
		if len(whole) != len(parts) {
			t.Fatalf("%d results unsplit, %d split at %d", len(whole), len(parts), at)
		}
		for i := range whole {
			w, p := whole[i], parts[i]
			if (w.err == nil) != (p.err == nil) || w.err != nil && w.err.Error() != p.err.Error() {
				t.Fatalf("result %d: error %v unsplit, %v split", i, w.err, p.err)
			}
			if w.err == nil {
				if d := equalCommands(w.cmd, p.cmd); d != "" {
					t.Fatalf("result %d: %s", i, d)
				}
			}
		}
		err := whole[len(whole)-1].err
		if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// checkExtFieldsLenient compares the extFields decoded from a JSON header
// with encoding/json's reading of them, for headers that both read alike.
func checkExtFieldsLenient(t *testing.T, header []byte, got Fields) {
	if !utf8.Valid(header) || bytes.IndexByte(header, '\\') >= 0 || bytes.Count(header, []byte(`"extFields"`)) != 1 {
		return
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(header, &top) != nil {
		return
	}
	var ext map[string]json.RawMessage
	if raw, ok := top["extFields"]; ok && json.Unmarshal(raw, &ext) != nil {
		return
	}
	n := 0
	for k, raw := range ext {
		g, ok := got.Lookup(k)
		if string(raw) == "null" {
			if ok {
				t.Fatalf("extFields %q is null, decoded as %q", k, g)
			}
			continue
		}
		n++
		want := string(raw)
		if raw[0] == '"' {
			_ = json.Unmarshal(raw, &want)
		}
		if !ok || g != want {
			t.Fatalf("extFields %q = %s, decoded as %q (present %v)", k, raw, g, ok)
		}
	}
	keys := map[string]bool{}
	for _, f := range got {
		keys[f.Key] = true
	}
	if len(keys) != n {
		t.Fatalf("decoded %d extFields keys %q, encoding/json has %d non-null", len(keys), got, n)
	}
}
