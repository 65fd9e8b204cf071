package remoting_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A broker's connection loop: read a request, answer it with one write.
func Example() {
	// What the client would send: a GET_ROUTEINFO_BY_TOPIC request.
	var wire bytes.Buffer
	req := &remoting.Command{Code: remoting.GetRouteInfoByTopic, Language: "GO", Version: 317, Opaque: 1,
		ExtFields: remoting.Fields{{Key: "topic", Value: "TopicA"}}}
	wire.Write(remoting.AppendFrame(nil, req))

	r := bufio.NewReaderSize(&wire, 64<<10)
	var out []byte
	for {
		cmd, err := remoting.ReadCommand(r, remoting.DefaultMaxFrame)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println("close connection:", err)
			return
		}
		fmt.Println(remoting.RequestName(cmd.Code), cmd.ExtFields.Get("topic"))

		resp := remoting.NewResponse(cmd, remoting.TopicNotExist, "No topic route info in name server for the topic: TopicA")
		out = remoting.AppendFrame(out[:0], resp) // one Write per response
		fmt.Printf("%d bytes, %s\n", len(out), out[8:])
	}
	// Output:
	// GET_ROUTEINFO_BY_TOPIC TopicA
	// 139 bytes, {"code":17,"language":"JAVA","version":317,"opaque":1,"flag":1,"remark":"No topic route info in name server for the topic: TopicA"}
}

func ExampleFields() {
	fields := remoting.Fields{{Key: "topic", Value: "TopicA"}, {Key: "queueId", Value: "3"}, {Key: "batch", Value: "false"}}
	queueID, err := fields.Int32("queueId")
	fmt.Println(fields.Get("topic"), queueID, err, fields.Bool("batch"))

	_, err = fields.Int64("queueOffset")
	fmt.Println(err, errors.Is(err, remoting.ErrMissingField))

	fields.Set("queueId", "4")
	fields.SetInt64("queueOffset", 42)
	fmt.Println(fields)
	// Output:
	// TopicA 3 <nil> false
	// remoting: missing header field "queueOffset" true
	// [{topic TopicA} {queueId 4} {batch false} {queueOffset 42}]
}

func ExampleErrorForCode() {
	err := remoting.ErrorForCode(remoting.ServiceNotAvailable, "service not available now")
	fmt.Println(err)
	fmt.Println(remoting.IsRetriable(fmt.Errorf("send: %w", err)))
	fmt.Println(remoting.ErrorForCode(remoting.Success, "") == nil)
	// Output:
	// remoting: SERVICE_NOT_AVAILABLE (14): service not available now
	// true
	// true
}
