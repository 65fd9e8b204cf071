package payload

import (
	"encoding/json"
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
		f.Add(s)
	}
	// Invariants: never panics; valid standard JSON is returned unchanged.
	f.Fuzz(func(t *testing.T, in string) {
		out := NormalizeFastJSON([]byte(in))
		if json.Valid([]byte(in)) && string(out) != in {
			t.Errorf("valid JSON changed: %q -> %q", in, out)
		}
	})
}
