package broker

// Reasons for ignored keys.
const (
	confWhyReplication = "master/slave replication is configured with brokerRole, haListenPort, haMasterAddress and the other keys ParseBrokerConf lists; DLedger-style replica sets are not supported"
	confWhyRaft        = "DLedger and controller mode are not supported (master/slave replication is: brokerRole, haListenPort)"
	confWhyNameServer  = "name-server discovery and registration tuning are not supported: list the name servers in namesrvAddr (without it the broker is its own name server)"
	confWhyStorePath   = "store files live under storePathRootDir in a fixed layout"
	confWhyNotAKey     = "store files live under storePathRootDir in a fixed layout (RocketMQ has no such key either; it derives the path from storePathRootDir)"
	confWhyStoreTuning = "store tuning with no equivalent in this store"
	confWhyRetention   = "a deleted segment is unlinked at once; a read in flight keeps its descriptor and closes it when done, so no file hangs to delete again"
	confWhyCQClean     = "consume-queue files are deleted in the same pass as the commit-log segments they point into"
	confWhyThreads     = "requests run on goroutines: there are no thread pools or request queues to size"
	confWhySockets     = "socket tuning is left to the operating system's defaults"
	confWhyACL         = "RocketMQ 5's ACL 2.0 is not supported; aclEnable=true turns on ACL 1.0 (plain_acl.yml)"
	confWhyStats       = "statistics and metrics go through hooks, not broker settings"
	confWhyInstall     = "there is no installation directory to point at"
	confWhyTLSClient   = "client-side TLS setting: the broker dials only name servers (namesrvAddr), in plain TCP"
	confWhyTLSAuth     = "client certificates are not requested; use ACL (aclEnable) to authenticate clients"
	confWhyTLSKeyPass  = "encrypted private keys are not supported: give tls.server.keyPath an unencrypted PEM key"
	confWhyTLSTest     = "no self-signed certificate is made up: give tls.server.certPath and tls.server.keyPath"
	confWhyTLSFile     = "put the tls.server.* keys in the broker.conf itself (or use --tls-cert/--tls-key)"
	confWhyTLSSuites   = "Go's crypto/tls defaults apply (TLS 1.2 and 1.3, its cipher suites)"
)

// ignoredConfKeys maps real RocketMQ broker.conf keys (BrokerConfig,
// MessageStoreConfig, NettyServerConfig, AuthConfig, and keys common in
// published broker.conf examples) that have no effect here to the reason.
var ignoredConfKeys = map[string]string{
	// Replication, DLedger, controller.
	"brokerIP2":                       confWhyReplication,
	"haHousekeepingInterval":          confWhyReplication,
	"enableSlaveActingMaster":         confWhyReplication,
	"totalReplicas":                   confWhyReplication,
	"inSyncReplicas":                  confWhyReplication,
	"minInSyncReplicas":               confWhyReplication,
	"allAckInSyncStateSet":            confWhyReplication,
	"enableAutoInSyncReplicas":        confWhyReplication,
	"enableDLegerCommitLog":           confWhyRaft,
	"dLegerGroup":                     confWhyRaft,
	"dLegerPeers":                     confWhyRaft,
	"dLegerSelfId":                    confWhyRaft,
	"preferredLeaderId":               confWhyRaft,
	"storePathDLedgerCommitLog":       confWhyRaft,
	"enableControllerMode":            confWhyRaft,
	"controllerAddr":                  confWhyRaft,
	"fetchControllerAddrByDnsLookup":  confWhyRaft,
	"syncBrokerMetadataPeriod":        confWhyRaft,
	"checkSyncStateSetPeriod":         confWhyRaft,
	"syncControllerMetadataPeriod":    confWhyRaft,
	"controllerHeartBeatTimeoutMills": confWhyRaft,
	"brokerElectionPriority":          confWhyRaft,
	"storePathEpochFile":              confWhyRaft,
	"storePathBrokerIdentity":         confWhyRaft,

	// Name server.
	"fetchNamesrvAddrByAddressServer": confWhyNameServer,
	"fetchNameSrvAddrByDnsLookup":     confWhyNameServer,
	"rmqAddressServerDomain":          confWhyNameServer,
	"rmqAddressServerSubGroup":        confWhyNameServer,
	"registerBrokerTimeoutMills":      confWhyNameServer,
	"updateNameServerAddrPeriod":      confWhyNameServer,
	"fetchNamesrvAddrInterval":        confWhyNameServer,
	"forceRegister":                   confWhyNameServer,
	"compressedRegister":              confWhyNameServer,
	"enableSplitRegistration":         confWhyNameServer,
	"splitRegistrationSize":           confWhyNameServer,
	"brokerNotActiveTimeoutMillis":    confWhyNameServer,
	"brokerHeartbeatInterval":         confWhyNameServer,

	// Store layout and tuning.
	"storePathCommitLog":                confWhyStorePath,
	"readOnlyCommitLogStorePaths":       confWhyStorePath,
	"storePathConsumeQueue":             confWhyNotAKey,
	"storePathIndex":                    confWhyNotAKey,
	"storeCheckpoint":                   confWhyNotAKey,
	"abortFile":                         confWhyNotAKey,
	"storeType":                         confWhyStoreTuning,
	"mappedFileSizeConsumeQueue":        confWhyStoreTuning,
	"mapedFileSizeConsumeQueue":         confWhyStoreTuning,
	"mappedFileSizeConsumeQueueExt":     confWhyStoreTuning,
	"enableConsumeQueueExt":             confWhyStoreTuning,
	"flushIntervalConsumeQueue":         confWhyStoreTuning,
	"flushCommitLogLeastPages":          confWhyStoreTuning,
	"flushConsumeQueueLeastPages":       confWhyStoreTuning,
	"flushCommitLogThoroughInterval":    confWhyStoreTuning,
	"flushConsumeQueueThoroughInterval": confWhyStoreTuning,
	"flushCommitLogTimed":               confWhyStoreTuning,
	"commitIntervalCommitLog":           confWhyStoreTuning,
	"commitCommitLogLeastPages":         confWhyStoreTuning,
	"commitCommitLogThoroughInterval":   confWhyStoreTuning,
	"transientStorePoolEnable":          confWhyStoreTuning,
	"transientStorePoolSize":            confWhyStoreTuning,
	"fastFailIfNoBufferInStorePool":     confWhyStoreTuning,
	"warmMapedFileEnable":               confWhyStoreTuning,
	"flushLeastPagesWhenWarmMapedFile":  confWhyStoreTuning,
	"writeWithoutMmap":                  confWhyStoreTuning,
	"maxTransferBytesOnMessageInMemory": confWhyStoreTuning,
	"maxTransferCountOnMessageInMemory": confWhyStoreTuning,
	"maxTransferBytesOnMessageInDisk":   confWhyStoreTuning,
	"maxTransferCountOnMessageInDisk":   confWhyStoreTuning,
	"accessMessageInMemoryMaxRatio":     confWhyStoreTuning,
	"maxHashSlotNum":                    confWhyStoreTuning,
	"maxIndexNum":                       confWhyStoreTuning,
	"messageIndexEnable":                "the key index is always kept",
	"messageIndexSafe":                  confWhyStoreTuning,
	"checkCRCOnRecover":                 "CRCs are always checked on recovery",
	"useReentrantLockWhenPutMessage":    confWhyStoreTuning,
	"osPageCacheBusyTimeOutMills":       confWhyStoreTuning,
	"duplicationEnable":                 confWhyStoreTuning,
	"flushDelayOffsetInterval":          confWhyStoreTuning,
	"flushConsumerOffsetInterval":       confWhyStoreTuning,
	"timerWheelEnable":                  "timer messages (deliver-at, TIMER_DELIVER_MS) are always on; they wait in an in-memory heap rebuilt from the timer queue, not in Java's timer wheel files",

	// Retention (the others are keys: retention.go).
	"deleteConsumeQueueFilesInterval":  confWhyCQClean,
	"destroyMapedFileIntervalForcibly": confWhyRetention,
	"redeleteHangedFileInterval":       confWhyRetention,

	// Threads and queues.
	"sendMessageThreadPoolNums":              confWhyThreads,
	"putMessageFutureThreadPoolNums":         confWhyThreads,
	"pullMessageThreadPoolNums":              confWhyThreads,
	"litePullMessageThreadPoolNums":          confWhyThreads,
	"ackMessageThreadPoolNums":               confWhyThreads,
	"processReplyMessageThreadPoolNums":      confWhyThreads,
	"queryMessageThreadPoolNums":             confWhyThreads,
	"adminBrokerThreadPoolNums":              confWhyThreads,
	"clientManageThreadPoolNums":             confWhyThreads,
	"consumerManageThreadPoolNums":           confWhyThreads,
	"loadBalanceProcessorThreadPoolNums":     confWhyThreads,
	"heartbeatThreadPoolNums":                confWhyThreads,
	"recoverThreadPoolNums":                  confWhyThreads,
	"endTransactionThreadPoolNums":           confWhyThreads,
	"sendThreadPoolQueueCapacity":            confWhyThreads,
	"putThreadPoolQueueCapacity":             confWhyThreads,
	"pullThreadPoolQueueCapacity":            confWhyThreads,
	"litePullThreadPoolQueueCapacity":        confWhyThreads,
	"queryThreadPoolQueueCapacity":           confWhyThreads,
	"clientManagerThreadPoolQueueCapacity":   confWhyThreads,
	"consumerManagerThreadPoolQueueCapacity": confWhyThreads,
	"heartbeatThreadPoolQueueCapacity":       confWhyThreads,
	"endTransactionPoolQueueCapacity":        confWhyThreads,
	"adminBrokerThreadPoolQueueCapacity":     confWhyThreads,
	"waitTimeMillsInSendQueue":               confWhyThreads,
	"waitTimeMillsInPullQueue":               confWhyThreads,
	"waitTimeMillsInHeartbeatQueue":          confWhyThreads,
	"waitTimeMillsInTransactionQueue":        confWhyThreads,
	"brokerFastFailureEnable":                confWhyThreads,
	"serverWorkerThreads":                    confWhyThreads,
	"serverCallbackExecutorThreads":          confWhyThreads,
	"serverSelectorThreads":                  confWhyThreads,
	"serverOnewaySemaphoreValue":             confWhyThreads,
	"serverAsyncSemaphoreValue":              confWhyThreads,
	"useEpollNativeSelector":                 confWhyThreads,
	"serverNettyWorkerGroupEnable":           confWhyThreads,
	"serverPooledByteBufAllocatorEnable":     confWhyThreads,

	// TLS (TlsSystemConfig; tls.server.mode, certPath and keyPath apply).
	"tls.server.keyPassword":      confWhyTLSKeyPass,
	"tls.server.need.client.auth": confWhyTLSAuth,
	"tls.server.authClient":       confWhyTLSAuth,
	"tls.server.trustCertPath":    confWhyTLSAuth,
	"tls.enable":                  confWhyTLSClient,
	"tls.client.keyPath":          confWhyTLSClient,
	"tls.client.keyPassword":      confWhyTLSClient,
	"tls.client.certPath":         confWhyTLSClient,
	"tls.client.authServer":       confWhyTLSClient,
	"tls.client.trustCertPath":    confWhyTLSClient,
	"tls.test.mode.enable":        confWhyTLSTest,
	"tls.config.file":             confWhyTLSFile,
	"tls.ciphers":                 confWhyTLSSuites,
	"tls.protocols":               confWhyTLSSuites,

	// Sockets.
	"serverSocketSndBufSize":   confWhySockets,
	"serverSocketRcvBufSize":   confWhySockets,
	"serverSocketBacklog":      confWhySockets,
	"writeBufferHighWaterMark": confWhySockets,
	"writeBufferLowWaterMark":  confWhySockets,

	// Security.
	"enableAcl":              confWhyACL,
	"authenticationEnabled":  confWhyACL,
	"authorizationEnabled":   confWhyACL,
	"authConfigPath":         confWhyACL,
	"authenticationProvider": confWhyACL,
	"authorizationProvider":  confWhyACL,

	// Features that always behave one way here, or are absent.
	"clusterTopicEnable":             "no cluster-named system topic is created",
	"brokerTopicEnable":              "no broker-named system topic is created",
	"traceTopicEnable":               "trace topics are ordinary topics here",
	"msgTraceTopicName":              "trace topics are ordinary topics here",
	"longPollingEnable":              "pulls are always long-polled",
	"shortPollingTimeMills":          "pulls are always long-polled",
	"notifyConsumerIdsChangedEnable": "consumers are always notified when their group changes",
	"enablePropertyFilter":           "SQL92 property filtering is always on",
	"filterSupportRetry":             "retry topics are subscribed with \"*\", so retried messages are not SQL92-filtered (Java's default)",
	"enableCalcFilterBitMap":         "SQL92 selectors are evaluated on each message; no bloom-filter bit map is kept",
	"rejectTransactionMessage":       "transactional messages are always accepted",
	"highSpeedMode":                  confWhyStoreTuning,
	"transferMsgByHeap":              confWhyStoreTuning,
	"enableDetailStat":               confWhyStats,
	"autoDeleteUnusedStats":          confWhyStats,
	"accountStatsEnable":             confWhyStats,
	"metricsExporterType":            confWhyStats,
	"rocketmqHome":                   confWhyInstall,
	"brokerConfigPath":               confWhyInstall,
}
