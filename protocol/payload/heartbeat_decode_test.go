package payload_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

func TestParseHeartbeat(t *testing.T) {
	goClient := payload.Heartbeat{ClientID: "10.0.0.1@42",
		Producers: []payload.ProducerData{{Group: "pg"}},
		Consumers: []payload.ConsumerData{{Group: "g", ConsumeType: payload.ConsumePassively,
			MessageModel: payload.Clustering, ConsumeFrom: payload.ConsumeFromFirstOffset,
			Subscriptions: []payload.SubscriptionData{{Topic: "t", Expression: "a || b", Tags: []string{"a", "b"},
				Codes: []string{"97", "98"}, Version: 1700000000000, ExpressionType: payload.ExpressionTag}}}}}
	got, err := payload.ParseHeartbeat(goClient.Encode())
	if err != nil || !reflect.DeepEqual(got, goClient) {
		t.Fatalf("the Go client's heartbeat: %+v, %v, want %+v", got, err, goClient)
	}

	// The C++ client: enums as ordinals, subVersion as a string, codes as numbers.
	cpp := `{"clientID":"c","producerDataSet":[],"consumerDataSet":[{"groupName":"g","consumeType":1,"messageModel":0,
		"consumeFromWhere":4,"subscriptionDataSet":[{"topic":"t","subString":"*","tagsSet":[],"codeSet":[1,2],
		"subVersion":"1700000000000","expressionType":"TAG"}]}]}`
	got, err = payload.ParseHeartbeat([]byte(cpp))
	if err != nil {
		t.Fatal(err)
	}
	cd := got.Consumers[0]
	if cd.ConsumeType != payload.ConsumePassively || cd.MessageModel != payload.Broadcasting ||
		cd.ConsumeFrom != payload.ConsumeFromFirstOffset || cd.Subscriptions[0].Version != 1700000000000 ||
		!reflect.DeepEqual(cd.Subscriptions[0].Codes, []string{"1", "2"}) {
		t.Errorf("the C++ client's heartbeat read as %+v", cd)
	}

	for name, body := range map[string]string{
		"not JSON":          `{"clientID":`,
		"ordinal too large": `{"clientID":"c","consumerDataSet":[{"groupName":"g","messageModel":7}]}`,
		"subVersion text":   `{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"t","subVersion":"soon"}]}]}`,
	} {
		if _, err := payload.ParseHeartbeat([]byte(body)); !errors.Is(err, payload.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if _, err := payload.ParseHeartbeat([]byte(`{"clientID":"c","consumerDataSet":[{"groupName":"g","messageModel":null}]}`)); err != nil {
		t.Errorf("null enum: %v, want it read as absent", err)
	}
}

// Whatever it is given, ParseHeartbeat returns a heartbeat or
// ErrMalformed, and what it returns encodes and reads back the same.
func FuzzParseHeartbeat(f *testing.F) {
	f.Add([]byte(`{"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":1,"subscriptionDataSet":[{"topic":"t","subVersion":"5"}]}]}`))
	f.Add(payload.Heartbeat{ClientID: "x", Producers: []payload.ProducerData{{Group: "p"}}}.Encode())
	f.Fuzz(func(t *testing.T, body []byte) {
		hb, err := payload.ParseHeartbeat(body)
		if err != nil {
			if !errors.Is(err, payload.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		again, err := payload.ParseHeartbeat(hb.Encode())
		if err != nil {
			t.Fatalf("re-reading %s: %v", hb.Encode(), err)
		}
		if a, b := string(again.Encode()), string(hb.Encode()); a != b && !strings.Contains(a, "\ufffd") {
			t.Fatalf("round trip changed it:\n%s\n%s", b, a)
		}
	})
}
