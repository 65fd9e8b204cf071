package broker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// WaitQuiet returns once no request arrived for the quiet period, and not
// while a client keeps sending.
func TestWaitQuiet(t *testing.T) {
	b := brokertest.Start(t)
	rc := dialRaw(t, b.Addr())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.WaitQuiet(ctx, 50*time.Millisecond); err != nil {
		t.Fatalf("idle broker: %v", err)
	}

	// A client sending back to back: the broker never stays quiet for
	// the (generous) quiet period.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sendErr error
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := rc.call(remoting.GetAllTopicListFromNameServer, nil, nil); err != nil {
				sendErr = err
				return
			}
		}
	})
	busy, cancelBusy := context.WithTimeout(context.Background(), time.Second)
	defer cancelBusy()
	err := b.WaitQuiet(busy, 300*time.Millisecond)
	close(stop)
	wg.Wait()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("broker receiving requests back to back: WaitQuiet = %v, want the context's deadline", err)
	}
	if err := b.WaitQuiet(ctx, 50*time.Millisecond); err != nil {
		t.Fatalf("after the traffic stopped: %v", err)
	}
}
