package remoting

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cmd  *Command
	}{
		{"zero", &Command{}},
		{"request", &Command{Code: SendMessage, Language: "GO", Version: 317, Opaque: 42,
			ExtFields: clientSendFields, Body: []byte("hello")}},
		{"response", &Command{Code: Success, Language: "JAVA", Version: 317, Opaque: 1<<31 - 1, Flag: FlagResponse,
			Remark: "FOUND", ExtFields: Fields{{"queueOffset", "12"}, {"msgId", "7F00000100004DA40000000000000000"}}}},
		{"oneway", &Command{Code: CheckTransactionState, Flag: FlagOneway, Opaque: -5}},
		{"extremes", &Command{Code: -32768, Version: 32767, Opaque: -1 << 31, Flag: -1}},
		{"escapes", &Command{Language: "G\"O", Remark: "a\"b\\c\n\r\t\b\f\x00\x1f\x7f/<>&é😀\u2028",
			ExtFields: Fields{{"k\x01", "v\x02"}, {"", ""}, {"dup", "1"}, {"dup", "2"}}}},
		{"invalid utf8", &Command{Remark: "\xff\xfe", ExtFields: Fields{{"k", "a\xc3"}}}},
		{"many fields", &Command{ExtFields: func() Fields {
			var f Fields
			for i := range 40 {
				f = append(f, Field{strings.Repeat("k", i), strings.Repeat("v", i)})
			}
			return f
		}()}},
		{"big body", &Command{Code: PullMessage, Body: bytes.Repeat([]byte{0, 1, 2}, 100000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := AppendFrame([]byte("prefix"), tt.cmd)
			if string(frame[:6]) != "prefix" {
				t.Fatal("AppendFrame clobbered dst")
			}
			frame = frame[6:]
			got, err := ReadCommand(bufio.NewReader(bytes.NewReader(frame)), 0)
			if err != nil {
				t.Fatalf("ReadCommand: %v", err)
			}
			if d := equalCommands(got, tt.cmd); d != "" {
				t.Fatal(d)
			}
			got2 := mustDecode(t, frame)
			if d := equalCommands(got2, tt.cmd); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestDecodeClientFrames(t *testing.T) {
	tests := []struct {
		name   string
		header string
		body   []byte
		want   *Command
	}{
		{"send", clientSendHeader, []byte("hello-A"), &Command{Code: 10, Language: "GO", Version: 317, Opaque: 2,
			ExtFields: clientSendFields, Body: []byte("hello-A")}},
		{"route", clientRouteHeader, nil, &Command{Code: 105, Language: "GO", Version: 317, Opaque: 1,
			ExtFields: Fields{{"topic", "TopicA"}}}},
		{"empty map", clientEmptyMapHdr, nil, &Command{Code: 206, Language: "GO", Version: 317, Opaque: 7}},
		{"nil map with body", clientNilMapHdr, []byte(`{"consumerGroup":"CG2"}`), &Command{Code: 41,
			Language: "GO", Version: 317, Opaque: 1, Body: []byte(`{"consumerGroup":"CG2"}`)}},
		{"client reply", clientReplyHeader, []byte("{}"), &Command{Code: 0, Language: "GO", Version: 317,
			Opaque: 9, Flag: 1, Body: []byte("{}")}},
		{"html escaped", clientHTMLPropsHdr, nil, &Command{Code: 10, Language: "GO", Version: 317, Opaque: 3,
			ExtFields: Fields{{"properties", "TAGS\x01Tag<A>&\x02"}}}},
		{"java response", `{"code":0,"extFields":{"queueId":"1","msgId":"7F"},"flag":1,"language":"JAVA",` +
			`"opaque":2,"serializeTypeCurrentRPC":"JSON","version":453}`, nil,
			&Command{Code: 0, Language: "JAVA", Version: 453, Opaque: 2, Flag: 1,
				ExtFields: Fields{{"queueId", "1"}, {"msgId", "7F"}}}},
		{"batch V2 short keys", `{"code":320,"language":"GO","version":317,"opaque":5,"flag":0,"remark":"",` +
			`"extFields":{"a":"PG1","b":"TopicA","n":"broker-a"}}`, []byte{1, 2},
			&Command{Code: 320, Language: "GO", Version: 317, Opaque: 5,
				ExtFields: Fields{{"a", "PG1"}, {"b", "TopicA"}, {"n", "broker-a"}}, Body: []byte{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustDecode(t, frameFromHeader(0, tt.header, tt.body))
			if d := equalCommands(got, tt.want); d != "" {
				t.Fatal(d)
			}
			if tt.name == "send" {
				if q, _ := got.ExtFields.Int32("queueId"); q != 1 {
					t.Fatalf("queueId = %d", q)
				}
			}
		})
	}
}

// TestAppendFrameIsJSON checks the header with encoding/json, the way a
// map[string]string decoder (the client's) sees it.
func TestAppendFrameIsJSON(t *testing.T) {
	c := &Command{Code: Success, Language: Language, Version: Version, Opaque: 77, Flag: FlagResponse,
		Remark:    "quote\" back\\ nl\n ctl\x01 del\x7f é 😀 \u2028 </script>",
		ExtFields: Fields{{"msgId", "7F00"}, {"queueOffset", "0"}, {"weird\x02key", "v\"al\x00"}},
		Body:      []byte("body")}
	frame := AppendFrame(nil, c)
	if n := binary.BigEndian.Uint32(frame); int(n) != len(frame)-4 {
		t.Fatalf("length field %d, frame has %d bytes after it", n, len(frame)-4)
	}
	if frame[4] != SerializeJSON {
		t.Fatalf("serialize type %d", frame[4])
	}
	hlen := int(frame[5])<<16 | int(frame[6])<<8 | int(frame[7])
	header := frame[8 : 8+hlen]
	if string(frame[8+hlen:]) != "body" {
		t.Fatalf("body %q", frame[8+hlen:])
	}
	if !json.Valid(header) {
		t.Fatalf("invalid JSON: %s", header)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		t.Fatal(err)
	}
	var ext map[string]any
	if err := json.Unmarshal(raw["extFields"], &ext); err != nil {
		t.Fatal(err)
	}
	for k, v := range ext {
		if _, ok := v.(string); !ok {
			t.Errorf("extFields[%q] = %T, want string", k, v)
		}
	}
	var got struct {
		Code      int16             `json:"code"`
		Language  string            `json:"language"`
		Version   int16             `json:"version"`
		Opaque    int32             `json:"opaque"`
		Flag      int32             `json:"flag"`
		Remark    string            `json:"remark"`
		ExtFields map[string]string `json:"extFields"`
	}
	if err := json.Unmarshal(header, &got); err != nil {
		t.Fatal(err)
	}
	if got.Code != c.Code || got.Language != c.Language || got.Version != c.Version || got.Opaque != c.Opaque ||
		got.Flag != c.Flag || got.Remark != c.Remark || len(got.ExtFields) != len(c.ExtFields) {
		t.Fatalf("encoding/json decoded %+v", got)
	}
	for _, f := range c.ExtFields {
		if got.ExtFields[f.Key] != f.Value {
			t.Errorf("extFields[%q] = %q, want %q", f.Key, got.ExtFields[f.Key], f.Value)
		}
	}
	keys := []string{`"code"`, `"language"`, `"version"`, `"opaque"`, `"flag"`, `"remark"`, `"extFields"`}
	last := -1
	for _, k := range keys {
		i := bytes.Index(header, []byte(k))
		if i <= last {
			t.Fatalf("key %s out of order in %s", k, header)
		}
		last = i
	}

	empty := AppendFrame(nil, NewResponse(&Command{Opaque: 3}, SystemBusy, ""))
	if want := `{"code":2,"language":"JAVA","version":317,"opaque":3,"flag":1,"remark":""}`; string(empty[8:]) != want {
		t.Fatalf("empty response header %s, want %s", empty[8:], want)
	}
}

func TestNewRequestResponse(t *testing.T) {
	req := NewRequest(NotifyConsumerIDsChanged, Fields{{"consumerGroup", "CG3"}}, nil)
	if req.IsResponse() || req.IsOneway() || req.Language != "JAVA" || req.Code != 40 {
		t.Fatalf("NewRequest: %+v", req)
	}
	req.Flag |= FlagOneway
	if !req.IsOneway() {
		t.Fatal("IsOneway false")
	}
	in := &Command{Code: SendMessage, Opaque: 99}
	resp := NewResponse(in, Success, "ok")
	if !resp.IsResponse() || resp.Opaque != 99 || resp.Code != Success || resp.Remark != "ok" || resp.Flag != FlagResponse {
		t.Fatalf("NewResponse: %+v", resp)
	}
	if s := resp.String(); !strings.Contains(s, "SUCCESS") || !strings.Contains(s, "opaque=99") {
		t.Fatalf("String() = %q", s)
	}
	if s := in.String(); !strings.Contains(s, "SEND_MESSAGE") {
		t.Fatalf("String() = %q", s)
	}
}

func TestDecodeBinaryHeader(t *testing.T) {
	fields := Fields{{"queueId", "3"}, {"", ""}, {"msgId", strings.Repeat("A", 300)}}
	header := binaryHeader(SendMessage, 9, 317, 12345, FlagResponse, "remark ✓", fields)
	got := mustDecode(t, frameFromHeader(SerializeRocketMQ, header, []byte("payload")))
	want := &Command{Code: SendMessage, Language: "GO", Version: 317, Opaque: 12345, Flag: FlagResponse,
		Remark: "remark ✓", ExtFields: fields, Body: []byte("payload"), SerializeType: SerializeRocketMQ}
	if d := equalCommands(got, want); d != "" {
		t.Fatal(d)
	}
	for lang, name := range map[byte]string{0: "JAVA", 12: "RUST", 13: "NODE_JS", 200: "200"} {
		got := mustDecode(t, frameFromHeader(1, binaryHeader(0, lang, 0, 0, 0, "", nil), nil))
		if got.Language != name || got.ExtFields != nil {
			t.Errorf("language byte %d: %q, fields %q", lang, got.Language, got.ExtFields)
		}
	}
	// Re-encoding, in binary as it came or as JSON, keeps every field.
	again := mustDecode(t, AppendFrame(nil, got))
	if d := equalCommands(again, got); d != "" {
		t.Fatal(d)
	}
	got.SerializeType = SerializeJSON
	again = mustDecode(t, AppendFrame(nil, got))
	if d := equalCommands(again, got); d != "" {
		t.Fatal(d)
	}

	ok := binaryHeader(1, 0, 0, 0, 0, "rr", Fields{{"k", "v"}})
	bad := []struct {
		name   string
		header string
	}{
		{"short", ok[:20]},
		{"remark too long", ok[:13] + "\x00\x00\x00\x09" + ok[17:]},
		{"negative remark", ok[:13] + "\xff\xff\xff\xff" + ok[17:]},
		{"ext length short", ok[:19] + "\x00\x00\x00\x01" + ok[23:]},
		{"ext length long", ok[:19] + "\x00\x00\x01\x00" + ok[23:]},
		{"negative key length", ok[:23] + "\xff\xff" + ok[25:]},
		{"key overruns", ok[:23] + "\x00\x7f" + ok[25:]},
		{"value overruns", ok[:26] + "\x00\x00\x00\x05" + ok[30:]},
		{"trailing byte in ext", binaryHeader(1, 0, 0, 0, 0, "", nil)[:17] + "\x00\x00\x00\x00\x00\x00\x00\x01\x00"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := DecodeFrame(frameFromHeader(1, tt.header, nil)[4:]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %+v, %v; want ErrMalformed", c, err)
			}
		})
	}
}

func TestReadCommandTooLarge(t *testing.T) {
	var frame []byte
	frame = binary.BigEndian.AppendUint32(frame, 1<<30) // claims 1 GiB
	frame = append(frame, "rest of the stream"...)
	r := bufio.NewReader(bytes.NewReader(frame))

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := ReadCommand(r, DefaultMaxFrame)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrFrameTooLarge) || c != nil {
		t.Fatalf("got %v, %v; want ErrFrameTooLarge", c, err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Fatalf("allocated %d bytes rejecting an oversized frame", n)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "rest of the stream" {
		t.Fatalf("ReadCommand consumed past the length: %q left", rest)
	}

	small := AppendFrame(nil, &Command{Body: make([]byte, 100)})
	if _, err := ReadCommand(bufio.NewReader(bytes.NewReader(small)), 50); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("maxFrame 50: %v", err)
	}
	if _, err := ReadCommand(bufio.NewReader(bytes.NewReader(small)), len(small)-4); err != nil {
		t.Fatalf("frame of exactly maxFrame: %v", err)
	}
	huge := binary.BigEndian.AppendUint32(nil, 0xFFFFFFFF)
	if _, err := ReadCommand(bufio.NewReader(bytes.NewReader(huge)), 1<<40); err == nil {
		t.Fatal("length 0xFFFFFFFF with a huge limit: no error")
	}
}

// readerSizes exercise both ReadCommand paths: frames that fit the reader's
// buffer are decoded in place, larger ones read into a buffer of their own.
var readerSizes = []int{16, 64 << 10}

func TestReadCommandTruncated(t *testing.T) {
	frame := AppendFrame(nil, &Command{Code: SendMessage, ExtFields: clientSendFields, Body: []byte("0123456789")})
	for _, size := range readerSizes {
		if _, err := ReadCommand(bufio.NewReaderSize(bytes.NewReader(nil), size), 0); err != io.EOF {
			t.Fatalf("empty stream: %v, want io.EOF", err)
		}
		for n := 1; n < len(frame); n++ {
			_, err := ReadCommand(bufio.NewReaderSize(bytes.NewReader(frame[:n]), size), 0)
			if err != io.ErrUnexpectedEOF {
				t.Fatalf("reader size %d, prefix of %d/%d bytes: %v, want io.ErrUnexpectedEOF", size, n, len(frame), err)
			}
		}
		// Two frames back to back, then a clean EOF.
		r := bufio.NewReaderSize(bytes.NewReader(append(append([]byte{}, frame...), frame...)), size)
		for i := range 2 {
			if _, err := ReadCommand(r, 0); err != nil {
				t.Fatalf("reader size %d, frame %d: %v", size, i, err)
			}
		}
		if _, err := ReadCommand(r, 0); err != io.EOF {
			t.Fatalf("reader size %d, after two frames: %v, want io.EOF", size, err)
		}
	}
}

// TestReadCommandOwnsBody checks that a command read in place does not
// alias the reader's buffer, which the next read overwrites.
func TestReadCommandOwnsBody(t *testing.T) {
	var stream []byte
	for i := range 3 {
		stream = AppendFrame(stream, &Command{Opaque: int32(i), Remark: strings.Repeat("r", i),
			ExtFields: Fields{{"k", strings.Repeat("v", i)}}, Body: bytes.Repeat([]byte{byte('a' + i)}, 100)})
	}
	for _, size := range readerSizes {
		r := bufio.NewReaderSize(bytes.NewReader(stream), size)
		var got []*Command
		for {
			c, err := ReadCommand(r, 0)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c)
		}
		for i, c := range got {
			if want := bytes.Repeat([]byte{byte('a' + i)}, 100); !bytes.Equal(c.Body, want) ||
				c.Remark != strings.Repeat("r", i) || c.ExtFields.Get("k") != strings.Repeat("v", i) {
				t.Fatalf("reader size %d: command %d changed after later reads: %+v", size, i, c)
			}
		}
	}
}

func TestReadCommandMalformed(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
	}{
		{"length below 4", []byte{0, 0, 0, 3, 0, 0, 0}},
		{"length zero", []byte{0, 0, 0, 0}},
		{"header beyond frame", []byte{0, 0, 0, 6, 0, 0, 0, 9, '{', '}'}},
		{"unknown serialize type", frameFromHeader(2, "{}", nil)},
		{"bad json", frameFromHeader(0, `{"code":}`, nil)},
		{"bad number in extFields", frameFromHeader(0, `{"code":0,"extFields":{"queueId":1.}}`, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCommand(bufio.NewReader(bytes.NewReader(tt.frame)), 0)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
}

// TestReadCommandPipe delivers frames the way the client writes them: four
// writes (length, header length, header, body) on an unbuffered pipe.
func TestReadCommandPipe(t *testing.T) {
	pr, pw := io.Pipe()
	want := []*Command{
		{Code: SendMessage, Language: "GO", Version: 317, Opaque: 1, ExtFields: clientSendFields, Body: bytes.Repeat([]byte("x"), 1024)},
		{Code: HeartBeat, Language: "GO", Version: 317, Opaque: 2, Body: []byte(`{"clientID":"c"}`)},
		{Code: GetRouteInfoByTopic, Language: "GO", Version: 317, Opaque: 3, ExtFields: Fields{{"topic", "T"}}},
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer pw.Close()
		for _, c := range want {
			frame := AppendFrame(nil, c)
			hlen := int(frame[5])<<16 | int(frame[6])<<8 | int(frame[7])
			for _, part := range [][]byte{frame[:4], frame[4:8], frame[8 : 8+hlen], frame[8+hlen:]} {
				if _, err := pw.Write(part); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	r := bufio.NewReaderSize(pr, 4096)
	for i, w := range want {
		got, err := ReadCommand(r, 0)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if d := equalCommands(got, w); d != "" {
			t.Fatalf("frame %d: %s", i, d)
		}
	}
	if _, err := ReadCommand(r, 0); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
	wg.Wait()
}

func TestDecodeFrameBodyOwnership(t *testing.T) {
	frame := frameFromHeader(0, clientRouteHeader, []byte("body"))
	frame = append(frame, "next"...)[:len(frame)] // spare capacity after the body
	c := mustDecode(t, frame)
	if cap(c.Body) != len(c.Body) {
		t.Fatalf("Body capacity %d beyond its length %d", cap(c.Body), len(c.Body))
	}
	c.Body = append(c.Body, '!')
	if string(frame[len(frame):len(frame)+4]) != "next" {
		t.Fatal("appending to Body overwrote the caller's memory")
	}
}

// TestAppendFrameBinary checks the binary encoder against the reference
// layout (the official client's rmqCodec), and that a response goes back in
// its request's serialize type.
func TestAppendFrameBinary(t *testing.T) {
	fields := Fields{{"queueId", "3"}, {"", ""}, {"msgId", strings.Repeat("A", 300)}, {"k", "v"}, {"k", "w"}}
	for lang, code := range map[string]byte{"JAVA": 0, "GO": 9, "RUST": 12, "NODE_JS": 13, "200": 200, "": 7, "KLINGON": 7, "007": 7} {
		c := &Command{Code: SendMessage, Language: lang, Version: -2, Opaque: -12345, Flag: FlagResponse | FlagOneway,
			Remark: "remark ✓\x00", ExtFields: fields, Body: []byte("payload"), SerializeType: SerializeRocketMQ}
		want := frameFromHeader(SerializeRocketMQ, binaryHeader(SendMessage, code, -2, -12345, FlagResponse|FlagOneway,
			"remark ✓\x00", fields), []byte("payload"))
		if got := AppendFrame([]byte("prefix"), c); !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
			t.Fatalf("language %q:\n got %q\nwant %q", lang, got[6:], want)
		}
	}
	empty := AppendFrame(nil, &Command{SerializeType: SerializeRocketMQ})
	if want := frameFromHeader(SerializeRocketMQ, binaryHeader(0, 7, 0, 0, 0, "", nil), nil); !bytes.Equal(empty, want) {
		t.Fatalf("empty command:\n got %q\nwant %q", empty, want)
	}

	req := mustDecode(t, frameFromHeader(SerializeRocketMQ, binaryHeader(SendMessage, 9, 317, 7, 0, "", clientSendFields), nil))
	if req.SerializeType != SerializeRocketMQ {
		t.Fatalf("decoded binary request has serialize type %d", req.SerializeType)
	}
	resp := AppendFrame(nil, NewResponse(req, Success, "ok"))
	if resp[4] != SerializeRocketMQ {
		t.Fatalf("response to a binary request has serialize type %d", resp[4])
	}
	if got := mustDecode(t, resp); got.Opaque != 7 || got.Remark != "ok" || got.Language != "JAVA" || !got.IsResponse() {
		t.Fatalf("response decodes as %v", got)
	}
	jreq := mustDecode(t, frameFromHeader(SerializeJSON, clientSendHeader, nil))
	if resp := AppendFrame(nil, NewResponse(jreq, Success, "")); resp[4] != SerializeJSON {
		t.Fatalf("response to a JSON request has serialize type %d", resp[4])
	}

	defer func() {
		if recover() == nil {
			t.Fatal("a key over 32767 bytes did not panic")
		}
	}()
	AppendFrame(nil, &Command{ExtFields: Fields{{strings.Repeat("k", 1<<15), ""}}, SerializeType: SerializeRocketMQ})
}
