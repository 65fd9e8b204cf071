package client

import (
	"errors"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// setTopic creates or changes topic with n queues and permission perm.
func setTopic(t *testing.T, c *Client, addr, topic string, n, perm int) {
	t.Helper()
	req := remoting.NewClientRequest(remoting.UpdateAndCreateTopic, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "readQueueNums", Value: strconv.Itoa(n)},
		{Key: "writeQueueNums", Value: strconv.Itoa(n)}, {Key: "perm", Value: strconv.Itoa(perm)}}, nil)
	if _, err := c.callOK(t.Context(), addr, req); err != nil {
		t.Fatalf("update topic %s: %v", topic, err)
	}
}

// A topic's changed route reaches a producer at the next refresh, every
// RouteRefreshInterval, and not before.
func TestRoutesRefreshEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network)
		c, err := New(Config{NameServers: []string{b.Addr()}, RouteRefreshInterval: 30 * time.Second},
			WithDialFunc(network.Dial))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p, err := c.NewProducer(ProducerConfig{Group: "refresh"})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		setTopic(t, c, b.Addr(), "grows", 4, 6)
		start := time.Now()
		if qs, err := p.Queues(t.Context(), "grows"); err != nil || len(qs) != 4 {
			t.Fatalf("queues %v, %v", qs, err)
		}
		setTopic(t, c, b.Addr(), "grows", 8, 6)
		time.Sleep(time.Until(start.Add(30*time.Second - time.Millisecond)))
		synctest.Wait()
		if qs, _ := p.Queues(t.Context(), "grows"); len(qs) != 4 {
			t.Fatalf("before the refresh the producer sees %d queues, want the cached 4", len(qs))
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if qs, _ := p.Queues(t.Context(), "grows"); len(qs) != 8 {
			t.Fatalf("after the refresh the producer sees %d queues, want 8", len(qs))
		}
	})
}

// A send refused with a retriable code makes the client re-read the
// topic's route at once, not at the next periodic refresh.
func TestRouteRefreshedAfterAFailedSend(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "refresh-err")
	p, err := c.NewProducer(ProducerConfig{Group: "refresh_err", Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	setTopic(t, c, b.Addr(), "readonly", 2, 6)
	if _, err := p.Send(t.Context(), &Message{Topic: "readonly", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	setTopic(t, c, b.Addr(), "readonly", 2, 4) // read only: sends get NO_PERMISSION
	routes := func() int64 { return b.Stats().Requests["GET_ROUTEINFO_BY_TOPIC"] }
	before := routes()
	_, err = p.Send(t.Context(), &Message{Topic: "readonly", Body: []byte("y")})
	if !errors.Is(err, &remoting.Error{Code: remoting.NoPermission}) {
		t.Fatalf("send to a read-only topic: %v, want NO_PERMISSION", err)
	}
	waitUntil(t, "a route lookup after the failed send", func() bool { return routes() > before })
	waitUntil(t, "the refreshed route without writable queues", func() bool {
		qs, err := p.Queues(t.Context(), "readonly")
		return err == nil && len(qs) == 0
	})
}

// A broker first seen in a route gets the client's heartbeat at once, so
// that its check-backs can reach this client's producers before the next
// period (an hour here).
func TestHeartbeatToANewBrokerAtOnce(t *testing.T) {
	b := startBroker(t)
	c, err := New(Config{NameServers: []string{b.Addr()}, HeartbeatInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.NewProducer(ProducerConfig{Group: "hb_new_broker"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(t.Context(), &Message{Topic: "hb_new", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a heartbeat naming the producer group", func() bool {
		return b.Stats().Requests["HEART_BEAT"] > 0
	})
}
