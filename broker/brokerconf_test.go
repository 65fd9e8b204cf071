package broker_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
)

// confTest is a case of TestParseBrokerConf or TestParseBrokerConfSyntax.
type confTest struct {
	name string
	conf string
	// base overrides the shared base when set.
	base *broker.Config
	// want edits a copy of the base into the expected Config.
	want func(c *broker.Config)
	// wantErr is the whole error text; when set, the Config must be the
	// base unchanged.
	wantErr string
	// report, when set, is the expected summary of the ConfReport.
	report []string
}

// testConfBase is the base Config the ParseBrokerConf table tests start from.
var testConfBase = broker.Config{Listen: "127.0.0.1:9876", DataDir: "/base"}

// TestParseBrokerConf covers the keys: every supported key, bad values,
// ignored and unknown keys. TestParseBrokerConfSyntax covers the file syntax.
func TestParseBrokerConf(t *testing.T) {
	runConfTests(t, []confTest{
		// Every supported key.
		{
			name:   "brokerClusterName",
			conf:   "brokerClusterName=ProdCluster",
			want:   func(c *broker.Config) { c.ClusterName = "ProdCluster" },
			report: []string{"applied 1 brokerClusterName=ProdCluster -> cluster-name"},
		},
		{
			name:   "brokerName",
			conf:   "brokerName=broker-b",
			want:   func(c *broker.Config) { c.BrokerName = "broker-b" },
			report: []string{"applied 1 brokerName=broker-b -> broker-name"},
		},
		{
			name:   "listenPort keeps the base host",
			conf:   "listenPort=10911",
			base:   &broker.Config{Listen: "0.0.0.0:1234", DataDir: "/base"},
			want:   func(c *broker.Config) { c.Listen = "0.0.0.0:10911" },
			report: []string{"applied 1 listenPort=10911 -> listen"},
		},
		{
			name: "listenPort on an empty base listens on loopback",
			conf: "listenPort=10911",
			base: &broker.Config{},
			want: func(c *broker.Config) { c.Listen = "127.0.0.1:10911" },
		},
		{
			name: "listenPort leaves a base AdvertisedAddr alone",
			conf: "listenPort=10911",
			base: &broker.Config{Listen: "127.0.0.1:9876", AdvertisedAddr: "10.0.0.1:9876"},
			want: func(c *broker.Config) { c.Listen = "127.0.0.1:10911" },
		},
		{
			name: "brokerIP1 is bound and advertised",
			conf: "brokerIP1=192.168.1.10",
			want: func(c *broker.Config) {
				c.Listen = "192.168.1.10:9876"
				c.AdvertisedAddr = "192.168.1.10:9876"
			},
			report: []string{"applied 1 brokerIP1=192.168.1.10 -> advertised-addr"},
		},
		{
			name: "brokerIP1 IPv6",
			conf: "brokerIP1=fd00::7\nlistenPort=10911",
			want: func(c *broker.Config) {
				c.Listen = "[fd00::7]:10911"
				c.AdvertisedAddr = "[fd00::7]:10911"
			},
		},
		{
			name: "bindAddress, brokerIP1 and listenPort in any order",
			conf: "brokerIP1=192.168.1.10\nlistenPort=10911\nbindAddress=0.0.0.0",
			want: func(c *broker.Config) {
				c.Listen = "0.0.0.0:10911"
				c.AdvertisedAddr = "192.168.1.10:10911"
			},
			report: []string{
				"applied 1 brokerIP1=192.168.1.10 -> advertised-addr",
				"applied 2 listenPort=10911 -> listen",
				"applied 3 bindAddress=0.0.0.0 -> listen",
			},
		},
		{
			name: "brokerIP1 on a random port of its own address",
			conf: "brokerIP1=127.0.0.1",
			base: &broker.Config{Listen: "127.0.0.1:0", AdvertisedAddr: "127.0.0.1:1"},
			want: func(c *broker.Config) { c.AdvertisedAddr = "" },
		},
		{
			name:   "storePathRootDir",
			conf:   "storePathRootDir=/var/lib/rocketmq/store",
			want:   func(c *broker.Config) { c.DataDir = "/var/lib/rocketmq/store" },
			report: []string{"applied 1 storePathRootDir=/var/lib/rocketmq/store -> data-dir"},
		},
		{
			name: "flushDiskType",
			conf: "flushDiskType=SYNC_FLUSH",
			want: func(c *broker.Config) { c.FlushDiskType = broker.SyncFlush },
		},
		{
			name: "flushIntervalCommitLog",
			conf: "flushIntervalCommitLog=1000",
			want: func(c *broker.Config) { c.FlushInterval = time.Second },
		},
		{
			name: "syncFlushTimeout",
			conf: "syncFlushTimeout=2500",
			want: func(c *broker.Config) { c.SyncFlushTimeout = 2500 * time.Millisecond },
		},
		{
			name:   "mappedFileSizeCommitLog",
			conf:   "mappedFileSizeCommitLog=1073741824",
			want:   func(c *broker.Config) { c.SegmentSize = 1 << 30 },
			report: []string{"applied 1 mappedFileSizeCommitLog=1073741824 -> segment-size"},
		},
		{
			name: "mapedFileSizeCommitLog (RocketMQ 4.x spelling)",
			conf: "mapedFileSizeCommitLog=67108864",
			want: func(c *broker.Config) { c.SegmentSize = 64 << 20 },
		},
		{
			name: "retention keys",
			conf: "fileReservedTime=0\ndeleteWhen=00;01;23\ndiskMaxUsedSpaceRatio=60\ndiskSpaceCleanForciblyRatio=70\n" +
				"diskSpaceWarningLevelRatio=80\ncleanFileForciblyEnable=false\ncleanResourceInterval=500\n" +
				"deleteCommitLogFilesInterval=0\ndeleteFileBatchMax=50",
			want: func(c *broker.Config) {
				c.FileReservedTime, c.DeleteWhen, c.DiskMaxUsedSpaceRatio = -1, "00;01;23", 60
				c.DiskSpaceCleanForciblyRatio, c.DiskSpaceWarningLevelRatio, c.DisableForcedClean = 70, 80, true
				c.CleanResourceInterval, c.DeleteCommitLogFilesInterval, c.DeleteFileBatchMax = 500*time.Millisecond, -1, 50
			},
		},
		{
			name: "fileReservedTime in hours",
			conf: "fileReservedTime=48",
			want: func(c *broker.Config) { c.FileReservedTime = 48 * time.Hour },
		},
		{
			name:    "deleteWhen with an hour out of range",
			conf:    "deleteWhen=04;24",
			wantErr: `broker.conf:1: deleteWhen: "04;24": "24" is not an hour of the day (0-23); write hours separated by ';', as "04" or "00;01"`,
		},
		{
			name: "autoCreateTopicEnable=false",
			conf: "autoCreateTopicEnable=false",
			want: func(c *broker.Config) { c.DisableAutoCreateTopic = true },
		},
		{
			name: "autoCreateTopicEnable=TRUE",
			conf: "autoCreateTopicEnable=TRUE",
			base: &broker.Config{Listen: "127.0.0.1:9876", DisableAutoCreateTopic: true},
			want: func(c *broker.Config) { c.DisableAutoCreateTopic = false },
		},
		{
			name: "defaultTopicQueueNums",
			conf: "defaultTopicQueueNums=8",
			want: func(c *broker.Config) { c.DefaultTopicQueueNums = 8 },
		},
		{
			name: "maxMessageSize",
			conf: "maxMessageSize=1048576",
			want: func(c *broker.Config) { c.MaxMessageSize = 1 << 20 },
		},
		{
			name: "messageDelayLevel",
			conf: "messageDelayLevel=1s 5s 10m 2h",
			want: func(c *broker.Config) { c.MessageDelayLevel = "1s 5s 10m 2h" },
		},
		{
			name: "transactionTimeOut",
			conf: "transactionTimeOut=3000",
			want: func(c *broker.Config) { c.TransactionTimeout = 3 * time.Second },
		},
		{
			name: "transactionCheckInterval",
			conf: "transactionCheckInterval=10000",
			want: func(c *broker.Config) { c.TransactionCheckInterval = 10 * time.Second },
		},
		{
			name: "transactionCheckMax",
			conf: "transactionCheckMax=5",
			want: func(c *broker.Config) { c.TransactionCheckMax = 5 },
		},
		{
			name: "rebalanceLockMaxLiveTime",
			conf: "rebalanceLockMaxLiveTime=30000",
			want: func(c *broker.Config) { c.RebalanceLockMaxLiveTime = 30 * time.Second },
		},
		{
			name: "rebalanceLockMaxLiveTime as Java's system property",
			conf: "rocketmq.broker.rebalance.lockMaxLiveTime=45000",
			want: func(c *broker.Config) { c.RebalanceLockMaxLiveTime = 45 * time.Second },
		},
		{
			name: "channelExpiredTimeout",
			conf: "channelExpiredTimeout=60000",
			want: func(c *broker.Config) { c.ChannelExpiredTimeout = time.Minute },
		},

		// Bad values.
		{
			name:    "not an integer",
			conf:    "# queues\n\n\n\n\n\ndefaultTopicQueueNums=four",
			wantErr: `broker.conf:7: defaultTopicQueueNums: "four" is not an integer`,
		},
		{
			name:    "zero",
			conf:    "maxMessageSize=0",
			wantErr: `broker.conf:1: maxMessageSize: "0" is not positive (a zero field would mean the default)`,
		},
		{
			name:    "negative",
			conf:    "transactionCheckMax=-3",
			wantErr: `broker.conf:1: transactionCheckMax: "-3" is not positive (a zero field would mean the default)`,
		},
		{
			name:    "Java int overflow",
			conf:    "flushIntervalCommitLog=2147483648",
			wantErr: `broker.conf:1: flushIntervalCommitLog: "2147483648" is out of range for a number of milliseconds`,
		},
		{
			name:    "milliseconds with a unit",
			conf:    "transactionTimeOut=5s",
			wantErr: `broker.conf:1: transactionTimeOut: "5s" is not a number of milliseconds`,
		},
		{
			name:    "milliseconds past time.Duration",
			conf:    "syncFlushTimeout=9223372036854775807",
			wantErr: `broker.conf:1: syncFlushTimeout: "9223372036854775807" milliseconds is out of range`,
		},
		{
			name:    "flushDiskType",
			conf:    "flushDiskType=async",
			wantErr: `broker.conf:1: flushDiskType: "async" is neither ASYNC_FLUSH nor SYNC_FLUSH`,
		},
		{
			name:    "a trailing comment is part of the value",
			conf:    "flushDiskType=ASYNC_FLUSH # the default",
			wantErr: `broker.conf:1: flushDiskType: "ASYNC_FLUSH # the default" is neither ASYNC_FLUSH nor SYNC_FLUSH (a '#' starts a comment only at the beginning of a line)`,
		},
		{
			name:    "boolean",
			conf:    "autoCreateTopicEnable=yes",
			wantErr: `broker.conf:1: autoCreateTopicEnable: "yes" is neither true nor false`,
		},
		{
			name:    "port",
			conf:    "listenPort=70000",
			wantErr: `broker.conf:1: listenPort: "70000" is not a port number (0-65535)`,
		},
		{
			name:    "brokerIP1 host name",
			conf:    "brokerIP1=broker.example.com",
			wantErr: `broker.conf:1: brokerIP1: "broker.example.com" is not an IP address (the official client accepts only IP literals)`,
		},
		{
			name:    "brokerIP1 cannot be advertised on a random port",
			conf:    "bindAddress=0.0.0.0\nbrokerIP1=10.0.0.1",
			base:    &broker.Config{Listen: "127.0.0.1:0"},
			wantErr: `broker.conf:2: brokerIP1: 10.0.0.1 cannot be advertised: the listener on 0.0.0.0:0 picks a random port; set listenPort`,
		},
		{
			name:    "bindAddress",
			conf:    "bindAddress=[::1]",
			wantErr: `broker.conf:1: bindAddress: "[::1]" is not an IP address or host name`,
		},
		{
			name:    "messageDelayLevel",
			conf:    "messageDelayLevel=1s 2x",
			wantErr: `broker.conf:1: messageDelayLevel: level 2 "2x": unit must be ms, s, m, h or d`,
		},
		{
			name:    "name",
			conf:    "brokerName=broker a",
			wantErr: `broker.conf:1: brokerName: "broker a" is not a valid name (1-127 characters of [%|a-zA-Z0-9_-])`,
		},
		{
			name:    "empty value",
			conf:    "storePathRootDir=\nbrokerName",
			wantErr: "broker.conf:1: storePathRootDir: empty value (remove the line to keep the default)\nbroker.conf:2: brokerName: empty value (remove the line to keep the default)",
		},
		{
			name: "every error is reported",
			conf: "brokerName=b1\ndefaultTopicQueueNums=four\nbrokerId=0\nmaxMessageSize=big\nfoo=bar\nlistenPort=x",
			wantErr: "broker.conf:2: defaultTopicQueueNums: \"four\" is not an integer\n" +
				"broker.conf:4: maxMessageSize: \"big\" is not an integer\n" +
				"broker.conf:6: listenPort: \"x\" is not a port number (0-65535)",
			report: []string{
				"applied 1 brokerName=b1 -> broker-name",
				"applied 3 brokerId=0 -> broker-id",
				"unknown 5 foo=bar",
			},
		},

		// Ignored and unknown keys.
		{
			name: "ignored keys",
			conf: "brokerIP2=10.0.0.2\nredeleteHangedFileInterval=1\ndeleteConsumeQueueFilesInterval=1\nhaHousekeepingInterval=20000\n" +
				"forceRegister=true\nstorePathCommitLog=/s/commitlog\nstorePathConsumeQueue=/s/cq\n" +
				"sendMessageThreadPoolNums=16\nenableAcl=true\nhaHousekeepingInterval",
			report: []string{
				"ignored 1 brokerIP2=10.0.0.2 (master/slave replication is configured with brokerRole, haListenPort, haMasterAddress and the other keys ParseBrokerConf lists; DLedger-style replica sets are not supported)",
				"ignored 2 redeleteHangedFileInterval=1 (a deleted segment is unlinked at once; a read in flight keeps its descriptor and closes it when done, so no file hangs to delete again)",
				"ignored 3 deleteConsumeQueueFilesInterval=1 (consume-queue files are deleted in the same pass as the commit-log segments they point into)",
				"ignored 4 haHousekeepingInterval=20000 (master/slave replication is configured with brokerRole, haListenPort, haMasterAddress and the other keys ParseBrokerConf lists; DLedger-style replica sets are not supported)",
				"ignored 5 forceRegister=true (name-server discovery and registration tuning are not supported: list the name servers in namesrvAddr (without it the broker is its own name server))",
				"ignored 6 storePathCommitLog=/s/commitlog (store files live under storePathRootDir in a fixed layout)",
				"ignored 7 storePathConsumeQueue=/s/cq (store files live under storePathRootDir in a fixed layout (RocketMQ has no such key either; it derives the path from storePathRootDir))",
				"ignored 8 sendMessageThreadPoolNums=16 (requests run on goroutines: there are no thread pools or request queues to size)",
				"ignored 9 enableAcl=true (RocketMQ 5's ACL 2.0 is not supported; aclEnable=true turns on ACL 1.0 (plain_acl.yml))",
				"ignored 10 haHousekeepingInterval= (master/slave replication is configured with brokerRole, haListenPort, haMasterAddress and the other keys ParseBrokerConf lists; DLedger-style replica sets are not supported)",
			},
		},
		{
			name: "unknown keys",
			conf: "brokername=b1\nbrokerNmae=b1\nflushDiskTyp=SYNC_FLUSH\nfooBar=1\n=orphan\nlistenport=1",
			report: []string{
				"unknown 1 brokername=b1 (did you mean brokerName?)",
				"unknown 2 brokerNmae=b1 (did you mean brokerName?)",
				"unknown 3 flushDiskTyp=SYNC_FLUSH (did you mean flushDiskType?)",
				"unknown 4 fooBar=1",
				"unknown 5 =orphan (no key before the separator)",
				"unknown 6 listenport=1 (did you mean listenPort?)",
			},
		},
		{
			name: "RocketMQ's distribution broker.conf",
			conf: rocketmqBrokerConf,
			want: func(c *broker.Config) {
				c.ClusterName, c.BrokerName, c.FlushDiskType = "DefaultCluster", "broker-a", broker.AsyncFlush
				c.DeleteWhen, c.FileReservedTime = "04", 48*time.Hour
				c.NamesrvAddr = "127.0.0.1:9876"
				c.BrokerRole = broker.AsyncMaster
			},
			report: []string{
				"applied 16 brokerClusterName=DefaultCluster -> cluster-name",
				"applied 17 brokerName=broker-a -> broker-name",
				"applied 18 brokerId=0 -> broker-id",
				"applied 19 deleteWhen=04 -> delete-when",
				"applied 20 fileReservedTime=48 -> file-reserved-time",
				"applied 21 brokerRole=ASYNC_MASTER -> broker-role",
				"applied 22 flushDiskType=ASYNC_FLUSH -> flush-disk-type",
				"applied 24 namesrvAddr=127.0.0.1:9876 -> namesrv-addr",
				"ignored 23 enableAcl=true (RocketMQ 5's ACL 2.0 is not supported; aclEnable=true turns on ACL 1.0 (plain_acl.yml))",
			},
		},
	})
}

// runConfTests parses each case's conf over testConfBase (or the case's base)
// and checks the Config, the error text and the report.
func runConfTests(t *testing.T, tests []confTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testConfBase
			if tt.base != nil {
				b = *tt.base
			}
			want := b
			if tt.want != nil && tt.wantErr == "" {
				tt.want(&want)
			}
			got, rep, err := broker.ParseBrokerConf(strings.NewReader(tt.conf), b)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error:\n got %v\nwant %s", err, tt.wantErr)
				}
				var ce *broker.ConfError
				if !errors.As(err, &ce) || ce.File != "broker.conf" || ce.Line < 1 || ce.Key == "" {
					t.Errorf("error %v holds no *ConfError with file, line and key: %#v", err, ce)
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != want {
				t.Errorf("config:\n got %+v\nwant %+v", got, want)
			}
			if tt.report != nil {
				if diff := diffLines(summarize(rep), tt.report); diff != "" {
					t.Errorf("report (-got +want):\n%s", diff)
				}
			}
		})
	}
}

// rocketmqBrokerConf is distribution/conf/broker.conf of apache/rocketmq.
const rocketmqBrokerConf = `# Licensed to the Apache Software Foundation (ASF) under one or more
# contributor license agreements.  See the NOTICE file distributed with
# this work for additional information regarding copyright ownership.
# The ASF licenses this file to You under the Apache License, Version 2.0
# (the "License"); you may not use this file except in compliance with
# the License.  You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
#  Unless required by applicable law or agreed to in writing, software
#  distributed under the License is distributed on an "AS IS" BASIS,
#  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
#  See the License for the specific language governing permissions and
#  limitations under the License.

brokerClusterName = DefaultCluster
brokerName = broker-a
brokerId = 0
deleteWhen = 04
fileReservedTime = 48
brokerRole = ASYNC_MASTER
flushDiskType = ASYNC_FLUSH
enableAcl=true
namesrvAddr=127.0.0.1:9876
`

// summarize renders a report one entry a line, Applied then Ignored then
// Unknown.
func summarize(rep broker.ConfReport) []string {
	var out []string
	for _, e := range rep.Applied {
		out = append(out, fmt.Sprintf("applied %d %s=%s -> %s", e.Line, e.Key, e.Value, e.Field))
	}
	for _, e := range rep.Ignored {
		out = append(out, fmt.Sprintf("ignored %d %s=%s (%s)", e.Line, e.Key, e.Value, e.Reason))
	}
	for _, e := range rep.Unknown {
		s := fmt.Sprintf("unknown %d %s=%s", e.Line, e.Key, e.Value)
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		out = append(out, s)
	}
	return out
}

// diffLines returns "" when got equals want, else both listed.
func diffLines(got, want []string) string {
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return ""
	}
	return "-" + strings.Join(got, "\n-") + "\n+" + strings.Join(want, "\n+")
}

func TestParseBrokerConfKeepsBaseOnError(t *testing.T) {
	base := broker.Config{Listen: "127.0.0.1:9876", BrokerName: "keep"}
	got, rep, err := broker.ParseBrokerConf(strings.NewReader("brokerName=changed\nmaxMessageSize=x\nfoo=1"), base)
	if err == nil {
		t.Fatal("no error")
	}
	if got != base {
		t.Errorf("config = %+v, want the base %+v", got, base)
	}
	if len(rep.Applied) != 1 || len(rep.Unknown) != 1 {
		t.Errorf("report not filled in on error: %+v", rep)
	}
}

func TestParseBrokerConfReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("brokerName=b1\n"), iotestErrReader{})
	_, _, err := broker.ParseBrokerConf(r, broker.Config{})
	if err == nil || !strings.Contains(err.Error(), "read broker.conf: disk on fire") {
		t.Fatalf("error = %v", err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseBrokerConfTooLarge(t *testing.T) {
	big := strings.Repeat("# padding\n", 200_000)
	_, _, err := broker.ParseBrokerConf(strings.NewReader(big), broker.Config{})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error = %v", err)
	}
}

func TestLoadBrokerConf(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broker.conf")
	if err := os.WriteFile(path, []byte("brokerName=b1\n\ndefaultTopicQueueNums=four\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := broker.LoadBrokerConf(path, broker.Config{})
	want := path + `:3: defaultTopicQueueNums: "four" is not an integer`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}

	if err := os.WriteFile(path, []byte("brokerName=b1\nlistenPort=10911\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, rep, err := broker.LoadBrokerConf(path, broker.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := (broker.Config{DataDir: dir, BrokerName: "b1", Listen: "127.0.0.1:10911", BrokerConfigPath: path}); cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
	if len(rep.Applied) != 2 {
		t.Errorf("applied = %+v", rep.Applied)
	}

	_, _, err = broker.LoadBrokerConf(filepath.Join(dir, "missing.conf"), broker.Config{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error = %v, want fs.ErrNotExist", err)
	}
}

func TestConfigWithDefaults(t *testing.T) {
	cfg := broker.Config{DataDir: t.TempDir(), BrokerName: "b1"}.WithDefaults()
	if cfg.BrokerName != "b1" || cfg.Listen == "" || cfg.FlushDiskType != broker.AsyncFlush || cfg.SegmentSize == 0 {
		t.Errorf("WithDefaults = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func ExampleParseBrokerConf() {
	conf := `# broker.conf of a RocketMQ 4.9 install
brokerClusterName = DefaultCluster
brokerName = broker-a
enableDLegerCommitLog = false
listenPort = 10911
flushDiskType = SYNC_FLUSH
storePathRootDir = /var/lib/rocketmq/store
autoCreateTopicEnable = false
brokerNmae = broker-b
`
	cfg, report, err := broker.ParseBrokerConf(strings.NewReader(conf), broker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Listen, cfg.DataDir, cfg.FlushDiskType, cfg.DisableAutoCreateTopic)
	for _, e := range report.Ignored {
		fmt.Printf("line %d: %s has no effect: %s\n", e.Line, e.Key, e.Reason)
	}
	for _, e := range report.Unknown {
		fmt.Printf("line %d: unknown key %s: %s\n", e.Line, e.Key, e.Reason)
	}

	_, _, err = broker.ParseBrokerConf(strings.NewReader("defaultTopicQueueNums = four\n"), cfg)
	fmt.Println(err)
	// Output:
	// 127.0.0.1:10911 /var/lib/rocketmq/store SYNC_FLUSH true
	// line 4: enableDLegerCommitLog has no effect: DLedger and controller mode are not supported (master/slave replication is: brokerRole, haListenPort)
	// line 9: unknown key brokerNmae: did you mean brokerName?
	// broker.conf:1: defaultTopicQueueNums: "four" is not an integer
}
