package broker_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/broker"
)

// TestParseBrokerConfSyntax covers the properties syntax of broker.conf as
// ParseBrokerConf reports it; internal/javaprops tests the reader itself.
func TestParseBrokerConfSyntax(t *testing.T) {
	runConfTests(t, []confTest{
		{
			name: "comments and blank lines",
			conf: "# a comment\n! another\n   # indented comment\n\n \t \nbrokerName=b1\n#brokerName=b2\n",
			want: func(c *broker.Config) { c.BrokerName = "b1" },
			report: []string{
				"applied 6 brokerName=b1 -> broker-name",
			},
		},
		{
			name: "separators",
			conf: "brokerName=b1\nbrokerClusterName: c1\nstorePathRootDir /data\n" +
				"defaultTopicQueueNums \t = \t 6\nmaxMessageSize\t:\t1024\n  transactionCheckMax:7",
			want: func(c *broker.Config) {
				c.BrokerName, c.ClusterName, c.DataDir = "b1", "c1", "/data"
				c.DefaultTopicQueueNums, c.MaxMessageSize, c.TransactionCheckMax = 6, 1024, 7
			},
			report: []string{
				"applied 1 brokerName=b1 -> broker-name",
				"applied 2 brokerClusterName=c1 -> cluster-name",
				"applied 3 storePathRootDir=/data -> data-dir",
				"applied 4 defaultTopicQueueNums=6 -> default-topic-queue-nums",
				"applied 5 maxMessageSize=1024 -> max-message-size",
				"applied 6 transactionCheckMax=7 -> transaction-check-max",
			},
		},
		{
			name: "trailing blanks, CRLF and CR line ends",
			conf: "brokerName = b1  \t\r\nbrokerClusterName=c1\rdefaultTopicQueueNums=2 \r\n",
			want: func(c *broker.Config) {
				c.BrokerName, c.ClusterName, c.DefaultTopicQueueNums = "b1", "c1", 2
			},
			report: []string{
				"applied 1 brokerName=b1 -> broker-name",
				"applied 2 brokerClusterName=c1 -> cluster-name",
				"applied 3 defaultTopicQueueNums=2 -> default-topic-queue-nums",
			},
		},
		{
			name: "line continuation",
			conf: "messageDelayLevel=1s 5s \\\n     10s \\\n\t30s\nbrokerName=b1",
			want: func(c *broker.Config) {
				c.MessageDelayLevel = "1s 5s 10s 30s"
				c.BrokerName = "b1"
			},
			report: []string{
				"applied 1 messageDelayLevel=1s 5s 10s 30s -> message-delay-level",
				"applied 4 brokerName=b1 -> broker-name",
			},
		},
		{
			name: "a comment line does not continue",
			conf: "# comment \\\nbrokerName=b1",
			want: func(c *broker.Config) { c.BrokerName = "b1" },
		},
		{
			name: "an even number of backslashes does not continue",
			conf: "storePathRootDir=C:\\\\store\\\\\nbrokerName=b1",
			want: func(c *broker.Config) { c.DataDir, c.BrokerName = `C:\store\`, "b1" },
		},
		{
			name: "escaped surrogate pair",
			conf: `storePathRootDir=C:\\rocketmq\\st\u00f6re\ ` + "\n" + `broker\Name=b\u0031` + "\n" + `brokerClusterName=\uD83D\uDE00`,
			want: func(c *broker.Config) {
				c.DataDir = `C:\rocketmq\störe `
				c.BrokerName = "b1"
			},
			wantErr: `broker.conf:3: brokerClusterName: "😀" is not a valid name (1-127 characters of [%|a-zA-Z0-9_-])`,
		},
		{
			name: "escapes: unicode, backslash, escaped key and trailing blank",
			conf: `storePathRootDir=C:\\rocketmq\\st\u00f6re\ ` + "\n" + `broker\Name=b\u0031` + "\n" + `broker\:x=1`,
			want: func(c *broker.Config) {
				c.DataDir = `C:\rocketmq\störe `
				c.BrokerName = "b1"
			},
			report: []string{
				"applied 1 storePathRootDir=C:\\rocketmq\\störe  -> data-dir",
				"applied 2 brokerName=b1 -> broker-name",
				"unknown 3 broker:x=1",
			},
		},
		{
			name: "a # inside a value is not a comment",
			conf: "storePathRootDir=/data/#1",
			want: func(c *broker.Config) { c.DataDir = "/data/#1" },
		},
		{
			name: "byte order mark",
			conf: "\uFEFFbrokerName=b1",
			want: func(c *broker.Config) { c.BrokerName = "b1" },
		},
		{
			name: "the last of repeated keys wins",
			conf: "brokerName=b1\nbrokerName=b2\nlistenPort=1\nlistenPort=2",
			want: func(c *broker.Config) { c.BrokerName, c.Listen = "b2", "127.0.0.1:2" },
		},
		{
			name: "continuation at the end of the file",
			conf: "brokerName=b1\\",
			want: func(c *broker.Config) { c.BrokerName = "b1" },
		},
		{
			name: "a continued line that starts with # is not a comment",
			conf: "storePathRootDir=/data\\\n  #1",
			want: func(c *broker.Config) { c.DataDir = "/data#1" },
		},

		// Malformed escapes.
		{
			name:    "malformed unicode escape",
			conf:    `brokerName=b\u00g1`,
			wantErr: `broker.conf:1: brokerName: malformed \uxxxx escape`,
		},
		{
			name:    "malformed unicode escape in the key",
			conf:    `broker\u12Name=b1`,
			wantErr: `broker.conf:1: broker\u12Name: malformed \uxxxx escape`,
		},
		{
			name:    "malformed unicode escapes in key and value",
			conf:    `k\u1=v\u2` + "\nbrokerName=b1",
			wantErr: "broker.conf:1: k\\u1: malformed \\uxxxx escape\nmalformed \\uxxxx escape",
		},
	})
}
