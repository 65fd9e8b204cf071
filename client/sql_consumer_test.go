package client

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// sqlQuietWindow is how long nothing more may arrive once the group has
// pulled past every message.
const sqlQuietWindow = 2 * time.Second

// A SQL92 subscription is filtered by the broker over the message's
// properties, TAGS included: of a = 0..19 tagged paid (even) or new (odd),
// "a >= 10 AND a < 15 AND TAGS = 'paid'" receives exactly 10, 12 and 14.
func TestConsumerSQLSubscriptionFilters(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "sqlf", 4)
	p, err := c.NewProducer(ProducerConfig{Group: "sqlf-p"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 20 {
		tag := "new"
		if i%2 == 0 {
			tag = "paid"
		}
		msg := &Message{Topic: "sqlf", Tag: tag, Body: []byte("m" + strconv.Itoa(i)), Properties: map[string]string{"a": strconv.Itoa(i)}}
		if _, err := p.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	in := newInbox()
	startConsumer(t, c, ConsumerConfig{Group: "sqlf-g", Subscriptions: []Subscription{{Topic: "sqlf", SQL: true,
		Expression: "a >= 10 AND a < 15 AND TAGS = 'paid'"}}}, in.handler(nil))
	in.wait(t, 3)
	deadline := time.Now().Add(waitTimeout)
	for {
		done := true
		for _, s := range b.ConsumeStats("sqlf-g", "sqlf") {
			done = done && s.Lag() == 0
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group has not pulled past every message: %+v", b.ConsumeStats("sqlf-g", "sqlf"))
		}
		time.Sleep(20 * time.Millisecond) // polling the condition
	}
	quiet := time.NewTimer(sqlQuietWindow)
	<-quiet.C
	var got []string
	for _, m := range in.all() {
		got = append(got, string(m.Body)+" "+m.Tag)
	}
	slices.Sort(got)
	if want := []string{"m10 paid", "m12 paid", "m14 paid"}; !slices.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}
