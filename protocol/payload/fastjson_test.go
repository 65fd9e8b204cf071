package payload

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"testing"
)

func TestNormalizeFastJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"standard passes through", `{"a":{"0":"x:1"},"b":[1,2]}`, `{"a":{"0":"x:1"},"b":[1,2]}`},
		{"integer keys", `{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10912"}}`, `{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10912"}}`},
		{"object keys", `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":5}}}`,
			`{"offsetTable":{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}":{"brokerOffset":5}}}`},
		{"digits inside strings untouched", `{"k":"{0:1}","n":[0,1]}`, `{"k":"{0:1}","n":[0,1]}`},
		{"negative key", `{-1:"x"}`, `{"-1":"x"}`},
		{"whitespace", `{ 0 : "a" , 1: "b" }`, `{ "0" : "a" , "1": "b" }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(NormalizeFastJSON([]byte(tt.in)))
			if got != tt.want {
				t.Errorf("NormalizeFastJSON(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("result is not valid JSON: %s", got)
			}
		})
	}
}

func FuzzNormalizeFastJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{0:"a"}`, `{{"a":1}:2}`, `[{"a":"b"}]`, `{"a":"\"{0:"}`, `{`} {
		f.Add(s, int64(len(s)), "t")
	}
	// Invariants: never panics; valid standard JSON is returned unchanged;
	// a document in fastjson's shapes built from the input (a bare integer
	// key, an object key, nested in an array, with in as a value and inside
	// the object key) comes out as valid JSON whose keys are the integer's
	// text and the object key's compact JSON.
	f.Fuzz(func(t *testing.T, in string, n int64, topic string) {
		out := NormalizeFastJSON([]byte(in))
		if json.Valid([]byte(in)) && string(out) != in {
			t.Errorf("valid JSON changed: %q -> %q", in, out)
		}

		val, _ := json.Marshal(in) // a JSON string whatever in holds
		var inText string          // in as that string reads back (invalid UTF-8 replaced)
		_ = json.Unmarshal(val, &inText)
		objKey, _ := json.Marshal(map[string]string{"topic": topic})
		doc := fmt.Sprintf(`[{%d:%s,%s:%s}]`, n, val, objKey, val)
		norm := NormalizeFastJSON([]byte(doc))
		var got []map[string]string
		if err := json.Unmarshal(norm, &got); err != nil {
			t.Fatalf("fastjson %s normalised to invalid JSON %s: %v", doc, norm, err)
		}
		want := map[string]string{strconv.FormatInt(n, 10): inText, string(objKey): inText}
		if len(got) != 1 || !maps.Equal(got[0], want) {
			t.Errorf("fastjson %s normalised to %s, want keys %q", doc, norm, want)
		}
	})
}
