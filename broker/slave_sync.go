package broker

// A slave's copy of its master's metadata (Java's SlaveSynchronize): every
// SlaveSyncInterval, and as soon as the master's address is known, the
// topic table (GET_ALL_TOPIC_CONFIG), the consumer offsets
// (GET_ALL_CONSUMER_OFFSET), the delay-level offsets (GET_ALL_DELAY_OFFSET)
// and the subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG), over one
// connection to the master's remoting port. The commit log itself comes
// over the HA port (replication.go).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// slaveSyncRetry is how soon a slave tries again while it does not know
// its master yet or the last copy failed.
const slaveSyncRetry = time.Second

// syncFromMasterLoop copies the master's metadata until ctx is done.
func (b *Broker) syncFromMasterLoop(ctx context.Context) {
	master := &nameServer{} // the same one-request-at-a-time connection the registrar uses
	defer master.close()
	timer := time.NewTimer(min(slaveSyncRetry, b.cfg.SlaveSyncInterval))
	defer timer.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		next := b.cfg.SlaveSyncInterval
		switch p := b.repl.masterAddr.Load(); {
		case p == nil:
			next = min(slaveSyncRetry, next)
		default:
			if master.addr != *p {
				master.close()
				master.addr = *p
			}
			err := b.syncFromMaster(master)
			switch {
			case err != nil && !failing:
				b.log.Warn("copy of the master's metadata failed; retrying", "master", master.addr, "err", err)
			case err == nil && failing:
				b.log.Info("copying the master's metadata again", "master", master.addr)
			}
			failing = err != nil
			if failing {
				next = min(slaveSyncRetry, next)
			}
		}
		timer.Reset(next)
	}
}

// syncFromMaster copies the four tables once, in Java's order.
func (b *Broker) syncFromMaster(master *nameServer) error {
	steps := []struct {
		code  int16
		apply func(body []byte) error
	}{
		{remoting.GetAllTopicConfig, func(body []byte) error {
			topics, err := payload.ParseRegisterBrokerBody(body) // a bare TopicConfigSerializeWrapper
			if err == nil {
				b.topics.replaceWith(topics.Topics.Table)
			}
			return err
		}},
		{remoting.GetAllConsumerOffset, func(body []byte) error {
			offsets, err := payload.ParseConsumerOffsetTable(body)
			if err == nil {
				b.offsets.mergeFrom(offsets)
			}
			return err
		}},
		{remoting.GetAllDelayOffset, func(body []byte) error {
			delays, err := payload.ParseDelayOffsetTable(body)
			if err == nil {
				b.delays.copyFrom(delays)
			}
			return err
		}},
		{remoting.GetAllSubscriptionGroupConfig, func(body []byte) error {
			var groups subscriptionGroupFile
			if err := json.Unmarshal(payload.NormalizeFastJSON(body), &groups); err != nil {
				return fmt.Errorf("subscription groups from the master: %w", err)
			}
			return b.subGroups.replaceWith(groups)
		}},
	}
	for _, step := range steps {
		body, err := askMaster(master, b.repl.dial, step.code)
		if err != nil {
			return err
		}
		if err := step.apply(body); err != nil {
			return err
		}
	}
	return nil
}

// askMaster sends one request without header fields and returns the body
// of its SUCCESS answer.
func askMaster(master *nameServer, dial func(context.Context, string, string) (net.Conn, error), code int16) ([]byte, error) {
	resp, err := master.call(dial, remoting.NewRequest(code, nil, nil))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", remoting.RequestName(code), err)
	}
	if resp.Code != remoting.Success {
		return nil, fmt.Errorf("%s: %w", remoting.RequestName(code), remoting.ErrorForCode(resp.Code, resp.Remark))
	}
	if len(resp.Body) == 0 {
		return nil, errors.New(remoting.RequestName(code) + ": empty answer")
	}
	return resp.Body, nil
}
