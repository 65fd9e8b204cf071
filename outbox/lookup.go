package outbox

import (
	"context"
	"errors"
	"time"

	"github.com/rocketkit/rocketkit/admin"
)

// KeyLookup finds messages on the broker by key. The relay uses it before
// it sends a row whose earlier send has an unknown outcome, so that a
// crash between send and mark does not duplicate the message.
//
// LookupKey reports whether a message carrying p.Key in its KEYS is stored
// on p.Topic. It must return an error, not false, when it could not ask
// (broker down, timeout): false means "the broker does not have it". It is
// called concurrently; cancelling ctx abandons the lookup.
type KeyLookup interface {
	LookupKey(ctx context.Context, p LookupParams) (bool, error)
}

// LookupParams is one lookup.
type LookupParams struct {
	Topic string
	Key   string
	// Since is a lower bound of the message's store time (zero: none).
	Since time.Time
}

// AdminLookup adapts an admin client (RocketKit's broker or Apache
// RocketMQ) to KeyLookup, querying every master of the topic by key.
func AdminLookup(c *admin.Client) KeyLookup { return adminLookup{c} }

type adminLookup struct{ c *admin.Client }

var _ KeyLookup = adminLookup{}

func (a adminLookup) LookupKey(ctx context.Context, p LookupParams) (bool, error) {
	msgs, err := a.c.QueryByKey(ctx, admin.Query{Topic: p.Topic, Key: p.Key, Begin: p.Since})
	if errors.Is(err, admin.ErrTopicNotFound) {
		return false, nil // the topic was never created: nothing was stored
	}
	if err != nil {
		return false, err
	}
	return len(msgs) > 0, nil
}

// ResendUnknown is a KeyLookup that never finds anything: rows whose send
// outcome is unknown are sent again, which may duplicate them (at-least-
// once). Use it only where no lookup is possible, with consumers that
// de-duplicate (package outbox/inbox).
var ResendUnknown KeyLookup = resendUnknown{}

type resendUnknown struct{}

var _ KeyLookup = resendUnknown{}

func (resendUnknown) LookupKey(context.Context, LookupParams) (bool, error) { return false, nil }
