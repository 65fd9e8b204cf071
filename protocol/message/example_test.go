package message_test

import (
	"fmt"
	"net/netip"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// A broker encodes a message outside its store lock, assigns offsets inside
// it, and hands the bytes to consumers, who decode them.
func Example() {
	m := message.Ext{
		QueueID:       1,
		BornTimestamp: 1795539887918,
		BornHost:      netip.MustParseAddrPort("192.0.2.2:50123"),
		StoreHost:     netip.MustParseAddrPort("127.0.0.1:19876"),
		Body:          []byte("hello-A"),
		Topic:         "TopicA",
		Properties:    message.FormatProperties(map[string]string{message.PropertyTags: "TagA"}),
	}
	rec := message.AppendEncode(nil, &m)
	message.PatchOffsets(rec, 0, 167, 1795539887920)

	got, n, err := message.Decode(rec, true)
	if err != nil {
		panic(err)
	}
	fmt.Println(n, got.Topic, string(got.Body), got.Tags(), got.QueueOffset, got.StoreTimestamp)
	fmt.Println(got.OffsetMsgID())
	// Output:
	// 114 TopicA hello-A TagA 0 1795539887920
	// 7F00000100004DA400000000000000A7
}

func ExampleSetProperty() {
	props := "TAGS\x01TagA\x02"
	props = message.SetProperty(props, message.PropertyCluster, "DefaultCluster")
	props = message.DeleteProperties(props, message.PropertyTags)
	v, ok := message.GetProperty(props, message.PropertyCluster)
	fmt.Printf("%q %q %v\n", props, v, ok)
	// Output:
	// "CLUSTER\x01DefaultCluster\x02" "DefaultCluster" true
}

func ExampleParseOffsetMsgID() {
	host, offset, err := message.ParseOffsetMsgID("7F00000100004DA400000000000000A7")
	fmt.Println(host, offset, err)
	// Output:
	// 127.0.0.1:19876 167 <nil>
}

func ExampleValidateTopic() {
	fmt.Println(message.ValidateTopic(message.RetryTopic("CG1")))
	fmt.Println(message.ValidateTopic("orders.eu"))
	// Output:
	// <nil>
	// validate topic "orders.eu": byte '.' at 6 is not in [%|a-zA-Z0-9_-]: message: invalid name
}
