package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// SubscriptionGroup is a consumer group's settings on a broker, Java's
// SubscriptionGroupConfig. NewSubscriptionGroup gives RocketMQ's defaults.
type SubscriptionGroup = payload.SubscriptionGroupConfig

// NewSubscriptionGroup returns RocketMQ's default settings for group.
func NewSubscriptionGroup(group string) SubscriptionGroup {
	return payload.NewSubscriptionGroupConfig(group)
}

// UpdateSubscriptionGroup creates the group's settings on the broker at
// addr, or replaces them (mqadmin updateSubGroup); the broker persists
// them. Start from NewSubscriptionGroup, or from what SubscriptionGroups
// returned, so the fields left alone keep their values. Cancelling ctx
// aborts the call.
func (c *Client) UpdateSubscriptionGroup(ctx context.Context, addr string, sg SubscriptionGroup) error {
	if sg.GroupName == "" {
		return errors.New("admin: update subscription group: no group name")
	}
	body, err := json.Marshal(sg)
	if err != nil {
		return fmt.Errorf("admin: encode subscription group: %w", err)
	}
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.UpdateAndCreateSubscriptionGroup, nil, body))
	if err != nil {
		return err
	}
	if err := check(resp); err != nil {
		return fmt.Errorf("admin: update subscription group %s on %s: %w", sg.GroupName, addr, err)
	}
	return nil
}

// SubscriptionGroups returns the broker's subscription groups by name
// (the table rocketmq-dashboard's consumer page reads). Cancelling ctx
// aborts the call.
func (c *Client) SubscriptionGroups(ctx context.Context, addr string) (map[string]SubscriptionGroup, error) {
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetAllSubscriptionGroupConfig, nil, nil))
	if err != nil {
		return nil, err
	}
	if err := check(resp); err != nil {
		return nil, fmt.Errorf("admin: subscription groups of %s: %w", addr, err)
	}
	var body struct {
		Table map[string]SubscriptionGroup `json:"subscriptionGroupTable"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &body); err != nil {
		return nil, fmt.Errorf("admin: decode subscription groups of %s: %w", addr, err)
	}
	if body.Table == nil {
		body.Table = map[string]SubscriptionGroup{}
	}
	return body.Table, nil
}

// DeleteSubscriptionGroup removes the group's settings from the broker at
// addr (mqadmin deleteSubGroup); with cleanOffset its committed offsets
// go too, so that it starts afresh (from its ConsumeFromWhere) when it
// comes back. Cancelling ctx aborts the call.
func (c *Client) DeleteSubscriptionGroup(ctx context.Context, addr, group string, cleanOffset bool) error {
	if group == "" {
		return errors.New("admin: delete subscription group: no group name")
	}
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.DeleteSubscriptionGroup, remoting.Fields{
		{Key: "groupName", Value: group}, {Key: "cleanOffset", Value: strconv.FormatBool(cleanOffset)}}, nil))
	if err != nil {
		return err
	}
	if err := check(resp); err != nil {
		return fmt.Errorf("admin: delete subscription group %s on %s: %w", group, addr, err)
	}
	return nil
}
