package payload_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

func TestHeartbeatEncodeWritesEmptySetsAsArrays(t *testing.T) {
	h := payload.Heartbeat{ClientID: "127.0.0.1@1",
		Consumers: []payload.ConsumerData{{Group: "g", ConsumeType: payload.ConsumePassively,
			MessageModel: payload.Clustering, ConsumeFrom: payload.ConsumeFromFirstOffset,
			Subscriptions: []payload.SubscriptionData{{Topic: "t", Expression: "*", Version: 1, ExpressionType: payload.ExpressionTag}}}}}
	want := `{"clientID":"127.0.0.1@1","producerDataSet":[],"consumerDataSet":[{"groupName":"g","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"t","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1,"expressionType":"TAG"}],"unitMode":false}]}`
	if got := string(h.Encode()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestLockBatchAndAnswers(t *testing.T) {
	l := payload.LockBatch{Group: "g", ClientID: "c", Queues: []payload.MessageQueue{{Topic: "t", BrokerName: "b", QueueID: 3}}}
	if got, want := string(l.Encode()), `{"consumerGroup":"g","clientId":"c","mqSet":[{"topic":"t","brokerName":"b","queueId":3}]}`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	locked, err := payload.ParseLocked([]byte(`{"lockOKMQSet":[{"brokerName":"b","queueId":3,"topic":"t"}]}`))
	if err != nil || len(locked) != 1 || locked[0] != l.Queues[0] {
		t.Fatalf("ParseLocked = %v, %v", locked, err)
	}
	if locked, err := payload.ParseLocked(nil); err != nil || locked != nil {
		t.Fatalf("empty answer: %v, %v", locked, err)
	}
	if _, err := payload.ParseLocked([]byte(`{"lockOKMQSet":{}`)); !errors.Is(err, payload.ErrMalformed) {
		t.Fatalf("broken answer: %v", err)
	}
	ids, err := payload.ParseConsumerIDs([]byte(`{"consumerIdList":["b","a"]}`))
	if err != nil || len(ids) != 2 {
		t.Fatalf("ParseConsumerIDs = %v, %v", ids, err)
	}
	for _, bad := range []string{``, `{}`, `{"consumerIdList":3}`} {
		if _, err := payload.ParseConsumerIDs([]byte(bad)); !errors.Is(err, payload.ErrMalformed) {
			t.Errorf("ParseConsumerIDs(%q) = %v, want ErrMalformed", bad, err)
		}
	}
	if !json.Valid(l.Encode()) {
		t.Fatal("invalid JSON")
	}
}

func TestHeartbeatEncodeLeavesItsInputAlone(t *testing.T) {
	subs := []payload.SubscriptionData{{Topic: "t"}}
	h := payload.Heartbeat{ClientID: "c", Consumers: []payload.ConsumerData{{Group: "g", Subscriptions: subs}}}
	_ = h.Encode()
	if subs[0].Tags != nil || subs[0].Codes != nil || h.Producers != nil {
		t.Fatalf("Encode wrote into the caller's heartbeat: %+v", subs[0])
	}
}
