package listener_test

import (
	"context"
	"fmt"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/protocol/message"
)

type Quotes struct {
	listener.Concurrent `topic:"quotes"`
}

type QuoteRequest struct {
	Item string `json:"item"`
}

type Quote struct {
	Item  string `json:"item"`
	Price int    `json:"price"`
}

func (Quotes) HandleReply(ctx context.Context, m *listener.Message) (any, error) {
	var q QuoteRequest
	if err := m.Decode(&q); err != nil {
		return nil, listener.Discard(err)
	}
	return Quote{Item: q.Item, Price: 42}, nil
}

// A reply listener answers requests: what HandleReply returns is encoded
// and sent back to the requester as the reply (the starter does the
// sending; here a ReplySender prints it).
func ExampleReplyHandler() {
	spec, err := listener.Parse(Quotes{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec.Group = "quotes-svc"
	d, err := listener.NewDispatcher(spec, Quotes{}, listener.WithReplySender(func(_ context.Context, r *client.Message) error {
		fmt.Printf("reply to %s: %s (correlation %s)\n", r.Topic, r.Body, r.Properties[message.PropertyCorrelationID])
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	// A request as a consumer receives it: the requester set
	// CORRELATION_ID and REPLY_TO_CLIENT, the broker CLUSTER.
	req := client.NewMessageExt(client.MessageExt{Topic: "quotes", Body: []byte(`{"item":"tea"}`)}, map[string]string{
		message.PropertyCluster: "DefaultCluster", message.PropertyCorrelationID: "c-1",
		message.PropertyReplyToClient: "10.0.0.1@app"})
	fmt.Println(d.Consume(context.Background(), []*client.MessageExt{req}) == client.ConsumeSuccess)
	// Output:
	// reply to DefaultCluster_REPLY_TOPIC: {"item":"tea","price":42} (correlation c-1)
	// true
}
