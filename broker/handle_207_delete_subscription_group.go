package broker

// DELETE_SUBSCRIPTIONGROUP (207).
//
// Behavior: header groupName (and cleanOffset). The group's configuration
// is removed and subscriptionGroup.json written; with cleanOffset=true its
// stored offsets are dropped too. SUCCESS whether or not the group was
// configured, as Java answers. A live group goes on consuming with the
// default settings (or, with autoCreateSubscriptionGroup off, has its
// pulls refused).
//
// Deviations: none known.

import (
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.DeleteSubscriptionGroup, handleDeleteSubscriptionGroup) }

func handleDeleteSubscriptionGroup(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	group := f.Get("groupName")
	if group == "" {
		return errorResponse(req, remoting.InvalidParameter, "groupName is required")
	}
	existed, err := b.subGroups.remove(group)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	if f.Bool("cleanOffset") {
		b.offsets.dropGroup(group)
	}
	b.log.Info("subscription group deleted", "group", group, "configured", existed,
		"clean_offset", f.Bool("cleanOffset"), "remote", c.remote.String())
	return remoting.NewResponse(req, remoting.Success, "")
}
