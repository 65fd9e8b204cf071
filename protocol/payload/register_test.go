package payload_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

// TestParseRegisterBrokerBodyJava decodes a body as a Java 5 broker sends
// it (fastjson, fields sorted, attributes and mapping versions included).
func TestParseRegisterBrokerBodyJava(t *testing.T) {
	body, err := os.ReadFile("testdata/register_broker_java.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := payload.ParseRegisterBrokerBody(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Topics.Table) != 4 {
		t.Fatalf("topics = %v", got.Topics.Table)
	}
	want := payload.TopicConfig{Name: "java-orders", ReadQueues: 4, WriteQueues: 4, Perm: 6, FilterType: "SINGLE_TAG",
		Attributes: map[string]string{"+message.type": "NORMAL"}}
	if tc := got.Topics.Table["java-orders"]; !reflect.DeepEqual(tc, want) {
		t.Fatalf("java-orders = %+v, want %+v", tc, want)
	}
	if dv := got.Topics.DataVersion; dv.Counter != 7 || dv.Timestamp != 1733472000123 {
		t.Fatalf("dataVersion = %+v", dv)
	}
	again, err := payload.ParseRegisterBrokerBody(got.Encode())
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, again, got)
	}
}

func TestParseRegisterBrokerBodyShapes(t *testing.T) {
	tests := []struct {
		name, body string
		topics     int
		wantErr    string
	}{
		{name: "empty is no topics", body: ``, topics: 0},
		{name: "old broker: bare wrapper", body: `{"topicConfigTable":{"T":{"topicName":"T","readQueueNums":2,"writeQueueNums":2,"perm":6}},"dataVersion":{"counter":1}}`, topics: 1},
		{name: "not JSON", body: `hello`, wantErr: "register broker body"},
		{name: "no table", body: `{"filterServerList":[]}`, wantErr: "neither"},
		{name: "key differs", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"topicName":"B"}}}}`, wantErr: "under key"},
		{name: "no name", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"perm":6}}}}`, wantErr: "no topicName"},
		{name: "negative queues", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"topicName":"A","readQueueNums":-1}}}}`, wantErr: "queue counts"},
		{name: "huge queues", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"topicName":"A","writeQueueNums":70000}}}}`, wantErr: "queue counts"},
		{name: "bad perm", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"topicName":"A","perm":9}}}}`, wantErr: "perm"},
		{name: "control char", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{"A\n":{"topicName":"A\n"}}}}`, wantErr: "control"},
		{name: "empty filter server", body: `{"topicConfigSerializeWrapper":{"topicConfigTable":{}},"filterServerList":[" "]}`, wantErr: "filter server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payload.ParseRegisterBrokerBody([]byte(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, payload.ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrMalformed saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Topics.Table) != tt.topics {
				t.Fatalf("topics = %v, want %d", got.Topics.Table, tt.topics)
			}
		})
	}
}

// TestBodyCRC32 checks Java's UtilAll.crc32: CRC-32 IEEE with bit 31
// cleared ("123456789" has the check value 0xCBF43926).
func TestBodyCRC32(t *testing.T) {
	if got := payload.BodyCRC32([]byte("123456789")); got != 0x4BF43926 {
		t.Fatalf("crc = %#x, want 0x4bf43926", got)
	}
}

// FuzzParseRegisterBrokerBody: the decoder never panics; it fails only
// with ErrMalformed; whatever it accepts has every topic under its own
// non-empty name with queue counts in 0..MaxQueueNums and perm in 0..7,
// no empty filter server, and survives Encode (valid JSON) and a second
// parse unchanged.
func FuzzParseRegisterBrokerBody(f *testing.F) {
	java, err := os.ReadFile("testdata/register_broker_java.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(java), ``, `{}`, `{"topicConfigTable":{}}`,
		`{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"topicName":"A","readQueueNums":1,"writeQueueNums":1,"perm":6}}},"filterServerList":["1.2.3.4:1"]}`,
		`{"topicConfigSerializeWrapper":{"topicConfigTable":{1:{"topicName":"1"}}}}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := payload.ParseRegisterBrokerBody(body)
		if err != nil {
			if !errors.Is(err, payload.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		for key, tc := range got.Topics.Table {
			if key == "" || tc.Name != key || tc.ReadQueues < 0 || tc.ReadQueues > payload.MaxQueueNums ||
				tc.WriteQueues < 0 || tc.WriteQueues > payload.MaxQueueNums || tc.Perm < 0 || tc.Perm > 7 {
				t.Fatalf("accepted topic %q: %+v", key, tc)
			}
		}
		for _, s := range got.FilterServers {
			if strings.TrimSpace(s) == "" {
				t.Fatalf("accepted empty filter server in %q", got.FilterServers)
			}
		}
		enc := got.Encode()
		if !json.Valid(enc) {
			t.Fatalf("Encode wrote invalid JSON: %s", enc)
		}
		again, err := payload.ParseRegisterBrokerBody(enc)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("re-parse of %s: %v\n%+v\n%+v", enc, err, again, got)
		}
	})
}
