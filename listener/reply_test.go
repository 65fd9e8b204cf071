package listener_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/protocol/message"
)

type replyFunc struct {
	listener.Concurrent `topic:"t" group:"g"`
	f                   func(m *listener.Message) (any, error)
}

func (r *replyFunc) HandleReply(_ context.Context, m *listener.Message) (any, error) { return r.f(m) }

// A reply handler's outcome: its reply is sent ([]byte and string as they
// are) and the request acknowledged; an error sends nothing and retries; a
// reply that cannot be encoded dead-letters; a send that fails and a
// message that is not a request are acknowledged without a reply.
func TestReplyHandlerOutcomes(t *testing.T) {
	request := func() *client.MessageExt {
		return client.NewMessageExt(client.MessageExt{Topic: "t", Body: []byte("q")}, map[string]string{
			message.PropertyCluster: "C", message.PropertyCorrelationID: "c1", message.PropertyReplyToClient: "x@y"})
	}
	plain := client.NewMessageExt(client.MessageExt{Topic: "t", Body: []byte("q")}, map[string]string{message.PropertyCluster: "C"})
	tests := []struct {
		name     string
		msg      *client.MessageExt
		reply    any
		err      error
		sendErr  error
		want     client.ConsumeResult
		wantSent string // "" = nothing sent
	}{
		{name: "bytes", msg: request(), reply: []byte("raw"), want: client.ConsumeSuccess, wantSent: "raw"},
		{name: "string", msg: request(), reply: "text", want: client.ConsumeSuccess, wantSent: "text"},
		{name: "codec", msg: request(), reply: map[string]int{"n": 1}, want: client.ConsumeSuccess, wantSent: `{"n":1}`},
		{name: "error", msg: request(), err: errors.New("boom"), want: client.ConsumeRetry},
		{name: "discard", msg: request(), err: listener.Discard(errors.New("bad")), want: client.ConsumeDeadLetter},
		{name: "unencodable", msg: request(), reply: make(chan int), want: client.ConsumeDeadLetter},
		{name: "send fails", msg: request(), reply: "x", sendErr: errors.New("gone"), want: client.ConsumeSuccess, wantSent: "x"},
		{name: "not a request", msg: plain, reply: "x", want: client.ConsumeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &replyFunc{f: func(*listener.Message) (any, error) { return tt.reply, tt.err }}
			spec, err := listener.Parse(l, nil)
			if err != nil {
				t.Fatal(err)
			}
			var sent *client.Message
			d, err := listener.NewDispatcher(spec, l, listener.WithReplySender(func(_ context.Context, r *client.Message) error {
				sent = r
				return tt.sendErr
			}))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Consume(context.Background(), []*client.MessageExt{tt.msg}); got != tt.want {
				t.Errorf("result %v, want %v", got, tt.want)
			}
			switch {
			case tt.wantSent == "" && sent != nil:
				t.Errorf("sent %+v, want nothing", sent)
			case tt.wantSent != "" && (sent == nil || string(sent.Body) != tt.wantSent || sent.Topic != "C_REPLY_TOPIC" ||
				sent.Properties[message.PropertyCorrelationID] != "c1"):
				t.Errorf("sent %+v, want body %q to C_REPLY_TOPIC for c1", sent, tt.wantSent)
			}
		})
	}
	if _, err := listener.NewDispatcher(&listener.Spec{Listener: "replyFunc", Group: "g"}, &replyFunc{}); !errors.Is(err, listener.ErrNoHandler) {
		t.Errorf("reply listener without a sender: %v, want ErrNoHandler", err)
	}
}
