package client_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// A name server that takes the connection and never answers (its host cut
// off) gets only its share of a request's time: the lookup moves on to
// the next name server within the caller's deadline instead of spending
// all of it on the silent one, call after call.
func TestNameServerLookupNotHeldBySilentOne(t *testing.T) {
	b := brokertest.Start(t)
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never read, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})

	c, err := client.New(client.Config{NameServers: []string{silent.Addr().String(), b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(client.ProducerConfig{Group: "ns-failover"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 3 { // every send looks the new topic's route up again
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // less than the request timeout
		_, err := p.Send(ctx, &client.Message{Topic: "ns-failover-" + string(rune('a'+i)), Body: []byte("x")})
		cancel()
		if err != nil {
			t.Fatalf("send %d with the first name server silent: %v", i, err)
		}
	}
}
