// Package clusterhosts is the multi-host cluster suite (issue 16): name
// servers, masters and slaves run as rocketkit processes on hosts of their
// own (network namespaces cabled to one switch, package internal/netns),
// and the kit's client and the official Go client produce and consume
// from a client host while the test kills processes and cuts cables.
//
// The package has only tests. They need root and ip netns, and run alone,
// in `task cluster-hosts` (part of `task test`), which sets
// ROCKETKIT_CLUSTER_HOSTS=1; without it the test binary runs nothing.
// docs/cluster-hosts.md describes the topology, the scenarios and what
// each asserts.
package clusterhosts
