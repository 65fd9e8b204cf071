package remoting

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func decodeHeader(t *testing.T, header string) (*Command, error) {
	t.Helper()
	return DecodeFrame(frameFromHeader(SerializeJSON, header, nil)[4:])
}

func TestJSONHeaderValues(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   Command
	}{
		{"keys in any order, whitespace", " {\n\t\"opaque\" : 5 , \"code\":-3,\"flag\":2,\r\"version\":0 } ",
			Command{Code: -3, Opaque: 5, Flag: 2}},
		{"empty object", `{}`, Command{}},
		{"nulls", `{"code":null,"language":null,"remark":null,"extFields":null,"opaque":null}`, Command{}},
		{"numeric language", `{"language":9}`, Command{Language: "GO"}},
		{"numeric language unknown", `{"language":-77}`, Command{Language: "-77"}},
		{"object language", `{"language":{"a":[1,2]},"code":1}`, Command{Code: 1}},
		{"unknown keys skipped", `{"x":{"a":[1,-2.5e+3,true,false,null,"s\"",{}],"b":{}},"y":[],"z":0,"code":7,"w":"\u00e9"}`,
			Command{Code: 7}},
		{"duplicate scalar keys: last wins", `{"code":1,"code":2,"remark":"a","remark":"b"}`, Command{Code: 2, Remark: "b"}},
		{"duplicate extFields accumulate", `{"extFields":{"a":"1"},"extFields":{"b":"2","a":"3"}}`,
			Command{ExtFields: Fields{{"a", "1"}, {"b", "2"}, {"a", "3"}}}},
		{"short escapes", `{"remark":"\"\\\/\b\f\n\r\t"}`, Command{Remark: "\"\\/\b\f\n\r\t"}},
		{"unicode escapes", `{"remark":"\u0001\u00e9\u20AC\uFFFF"}`, Command{Remark: "\x01é€\uffff"}},
		{"surrogate pair", `{"remark":"x\ud83d\ude00y"}`, Command{Remark: "x😀y"}},
		{"lone high surrogate", `{"remark":"\ud83dx"}`, Command{Remark: "\ufffdx"}},
		{"lone low surrogate", `{"remark":"\ude00"}`, Command{Remark: "\ufffd"}},
		{"high then non-low escape", `{"remark":"\ud83d\u0041"}`, Command{Remark: "\ufffdA"}},
		{"two highs then low", `{"remark":"\ud83d\ud83d\ude00"}`, Command{Remark: "\ufffd😀"}},
		{"raw utf8 and invalid bytes pass through", "{\"remark\":\"é\xff\"}", Command{Remark: "é\xff"}},
		{"escaped key", `{"c\u006fde":4,"extFields":{"k\u0001":"v"}}`, Command{Code: 4, ExtFields: Fields{{"k\x01", "v"}}}},
		{"limits", `{"code":32767,"version":-32768,"opaque":-2147483648,"flag":2147483647}`,
			Command{Code: 32767, Version: -32768, Opaque: -1 << 31, Flag: 1<<31 - 1}},
		{"extFields numbers and booleans as their text (JavaScript client)",
			`{"extFields":{"queueId":1,"queueOffset":1234567890123,"neg":-5,"f":1.50,"e":-2e+3,"batch":false,"unitMode":true}}`,
			Command{ExtFields: Fields{{"queueId", "1"}, {"queueOffset", "1234567890123"}, {"neg", "-5"}, {"f", "1.50"},
				{"e", "-2e+3"}, {"batch", "false"}, {"unitMode", "true"}}}},
		{"extFields objects and arrays as their text", `{"extFields":{"o":{"a":[1,"x\u0001"]},"a":[ ]},"remark":"\n"}`,
			Command{Remark: "\n", ExtFields: Fields{{"o", `{"a":[1,"x\u0001"]}`}, {"a", "[ ]"}}}},
		{"extFields null removes the key", `{"extFields":{"a":"1","b":null,"a":null,"c":2},"extFields":{"b":"3","d":null}}`,
			Command{ExtFields: Fields{{"c", "2"}, {"b", "3"}}}},
		{"extFields only null", `{"extFields":{"a":null}}`, Command{}},
		{"integers as strings (fastjson)", `{"code":"10","version":"-317","opaque":"2147483647","flag":""}`,
			Command{Code: 10, Version: -317, Opaque: 1<<31 - 1}},
		{"escaped and plain values mixed", `{"extFields":{"a":"plain","b":"x\u0002y","c":"plain2"},"remark":"\n"}`,
			Command{Remark: "\n", ExtFields: Fields{{"a", "plain"}, {"b", "x\x02y"}, {"c", "plain2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeHeader(t, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if d := equalCommands(got, &tt.want); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestJSONHeaderMalformed(t *testing.T) {
	tests := []string{
		``, ` `, `null`, `[]`, `"x"`, `{`, `{"code":1`, `{"code":1,}`, `{,}`, `{"code" 1}`, `{code:1}`,
		`{"code":1} x`, `{"code":1}{}`, `{"code":"x"}`, `{"code":"1.5"}`, `{"code":"\u0031"}`, `{"code":"32768"}`,
		`{"opaque":"-2147483649"}`, `{"code":1.0}`, `{"code":1e2}`, `{"code":01}`,
		`{"code":-}`, `{"code":32768}`, `{"code":-32769}`, `{"version":99999}`, `{"opaque":2147483648}`,
		`{"flag":99999999999999999999999}`, `{"language":99999999999999999999}`, `{"remark":1}`, `{"remark":true}`, `{"extFields":[]}`,
		`{"extFields":"x"}`, `{"extFields":{"a":01}}`, `{"extFields":{"a":nul}}`, `{"extFields":{"a":tru}}`,
		`{"extFields":{"a":{]}}`, `{"extFields":{"a":-}}`, `{"extFields":{"a":}}`, `{"extFields":{"a":"b",}}`, `{"extFields":{"a"}}`, `{"extFields":{1:"a"}}`,
		`{"remark":"abc}`, `{"remark":"\x"}`, `{"remark":"\u12"}`, `{"remark":"\u12G4"}`, "{\"remark\":\"a\nb\"}",
		"{\"remark\":\"\x00\"}", `{"remark":"\`, `{"x":tru}`, `{"x":nul}`, `{"x":-}`, `{"x":1.}`, `{"x":1e}`,
		`{"x":[1,]}`, `{"x":[1 2]}`, `{"x":{"a" 1}}`, `{"x":{1:2}}`, `{"x":}`, `{"x":@}`,
		`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	}
	for _, header := range tests {
		c, err := decodeHeader(t, header)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: got %+v, %v; want ErrMalformed", header, c, err)
		}
	}
}

// TestJSONHeaderMatchesEncodingJSON decodes valid headers with both this
// decoder and encoding/json.
func TestJSONHeaderMatchesEncodingJSON(t *testing.T) {
	headers := []string{
		clientSendHeader, clientRouteHeader, clientEmptyMapHdr, clientNilMapHdr, clientReplyHeader, clientHTMLPropsHdr,
		`{"code":1,"remark":"\ud83d\ude00 \ud800 \udfff \u0000 \\u0041","extFields":{"\u00e9":"\u2028"}}`,
		`{"language":"JAVA","version":453,"serializeTypeCurrentRPC":"JSON","extFields":{"a":""}}`,
	}
	for _, h := range headers {
		got, err := decodeHeader(t, h)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		var want struct {
			Code      int16             `json:"code"`
			Language  string            `json:"language"`
			Version   int16             `json:"version"`
			Opaque    int32             `json:"opaque"`
			Flag      int32             `json:"flag"`
			Remark    string            `json:"remark"`
			ExtFields map[string]string `json:"extFields"`
		}
		if err := json.Unmarshal([]byte(h), &want); err != nil {
			t.Fatalf("%s: encoding/json: %v", h, err)
		}
		if got.Code != want.Code || got.Language != want.Language || got.Version != want.Version ||
			got.Opaque != want.Opaque || got.Flag != want.Flag || got.Remark != want.Remark ||
			len(got.ExtFields) != len(want.ExtFields) {
			t.Fatalf("%s:\n got %+v\nwant %+v", h, got, want)
		}
		for k, v := range want.ExtFields {
			if g, ok := got.ExtFields.Lookup(k); !ok || g != v {
				t.Errorf("%s: extFields[%q] = %q, want %q", h, k, g, v)
			}
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"\"\\", `"\"\\"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f\""},
		{"/<>&é😀", `"/<>&é😀"`},
		{"\xff", "\"\xff\""},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if !strings.ContainsRune(tt.in, 0xfffd) && !strings.Contains(tt.in, "\xff") {
			var back string
			if err := json.Unmarshal(appendJSONString(nil, tt.in), &back); err != nil || back != tt.in {
				t.Errorf("encoding/json reads %q back as %q, %v", tt.in, back, err)
			}
		}
	}
}
