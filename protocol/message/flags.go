package message

// SysFlag bits of a stored message (wire doc §8.2). The pull-request sysFlag
// bits are different and do not live here.
const (
	// FlagCompressed marks a zlib-compressed body. The broker stores bodies as
	// received; consumers inflate.
	FlagCompressed = 0x1
	// FlagMultiTags is Java's MULTI_TAGS_FLAG; the Go client never sets it.
	FlagMultiTags = 0x2
	// FlagTransactionPrepared marks a half (prepared) transactional message.
	FlagTransactionPrepared = 0x4
	// FlagTransactionCommit marks a committed transactional message.
	FlagTransactionCommit = 0x8
	// FlagTransactionRollback marks a rolled-back transactional message.
	FlagTransactionRollback = 0xC
	// FlagTransactionMask selects the transaction type bits; 0 means not
	// transactional.
	FlagTransactionMask = 0xC
	// FlagBornHostV6 means BORNHOST is a 16-byte IPv6 address. AppendEncode
	// sets and clears it from Ext.BornHost.
	FlagBornHostV6 = 0x10
	// FlagStoreHostV6 means STOREHOST is a 16-byte IPv6 address. AppendEncode
	// sets and clears it from Ext.StoreHost.
	FlagStoreHostV6 = 0x20
)

// MagicCode is the MAGICCODE of every stored record: Java's
// MESSAGE_MAGIC_CODE (0xDAA320A7), layout v1. Layout v2 (0xDAA320AB, 2-byte
// topic length) is never written or accepted: the Go client cannot parse it.
const MagicCode = int32(-626843481)

// Limits of the encodings and Java's defaults for what a broker accepts
// (wire doc §8.7).
const (
	// MinRecordSize is the size of a stored record with IPv4 hosts and an
	// empty body, topic and properties.
	MinRecordSize = 91
	// MaxPropertiesSize is the largest properties string a record or batch
	// item can carry (its length is an int16).
	MaxPropertiesSize = 32767
	// MaxTopicSize is the largest topic a record can carry (its length is an
	// unsigned byte). Names are further limited by ValidateTopic.
	MaxTopicSize = 255
	// DefaultMaxBodySize is Java's maxMessageSize default (4 MiB).
	DefaultMaxBodySize = 4 << 20
)

// TransactionType returns sysFlag's transaction bits: 0,
// FlagTransactionPrepared, FlagTransactionCommit or FlagTransactionRollback.
func TransactionType(sysFlag int32) int32 { return sysFlag & FlagTransactionMask }

// SetTransactionType returns sysFlag with its transaction bits replaced by typ.
func SetTransactionType(sysFlag, typ int32) int32 {
	return sysFlag&^FlagTransactionMask | typ&FlagTransactionMask
}

// magicV1 is MagicCode as the unsigned value on the wire.
const magicV1 uint32 = 0xDAA320A7
