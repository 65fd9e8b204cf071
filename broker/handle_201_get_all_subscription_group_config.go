package broker

// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
//
// Behavior: Java's SubscriptionGroupWrapper, {"subscriptionGroupTable":
// {name: SubscriptionGroupConfig}, "forbiddenTable":{}, "dataVersion":
// {...}}: every group an administrator configured
// (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP) with its settings, and, while
// autoCreateSubscriptionGroup is on, every other group the broker knows
// (live members or stored offsets) with RocketMQ's defaults. The data
// version changes with every create, update or delete.
//
// Deviations: Java lists a group it auto-created because it was used, and
// persists it; here such groups are listed while they have members or
// offsets and are not written to subscriptionGroup.json. The split
// metadata paging (dataVersion, groupSeq, maxGroupNum) is ignored: the
// whole table is answered.

import (
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetAllSubscriptionGroupConfig, handleGetAllSubscriptionGroups) }

func handleGetAllSubscriptionGroups(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	all := b.subGroups.snapshot()
	if b.subGroups.autoCreate.Load() {
		for _, n := range append(b.clients.groupNames(), b.offsets.groups("")...) {
			if _, ok := all.Table[n]; !ok {
				all.Table[n] = defaultSubscriptionGroup(n)
			}
		}
	}
	return jsonResponse(req, all)
}
