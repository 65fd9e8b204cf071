package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/client"
)

// notReplayable explains a scenario this program cannot replay (it
// needs Apache RocketMQ itself), and what the kit does about it.
func notReplayable(answer string) func(context.Context, *env) (string, error) {
	return func(context.Context, *env) (string, error) { return "", errNotReplayable{answer} }
}

// errNotReplayable marks a scenario that needs Apache RocketMQ itself.
type errNotReplayable struct{ answer string }

func (e errNotReplayable) Error() string { return e.answer }

// s18Load: the study's producer.sh -w 20 -s 1024 froze their machine;
// here 20 senders send 1 KiB messages for a moment, through one producer
// (safe for concurrent use) and one connection.
func s18Load(ctx context.Context, e *env) (string, error) {
	const senders, each = 20, 100
	body := make([]byte, 1024)
	p, err := e.producer("p_load")
	if err != nil {
		return "", err
	}
	defer p.Close()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	start := time.Now()
	for range senders {
		wg.Go(func() {
			for range each {
				if res, err := p.Send(ctx, &client.Message{Topic: "t_load", Body: body}); err != nil || res.Status != client.SendOK {
					errs <- fmt.Errorf("send: %v %v", res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return "", err
	}
	took := time.Since(start)
	return fmt.Sprintf("20 senders on one producer, 1 KiB: %d sends in %v, %.0f msg/s (longer runs: rocketkit bench produce -w 20 -s 1024)",
		senders*each, took.Round(time.Millisecond), senders*each/took.Seconds()), nil
}
