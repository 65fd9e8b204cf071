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

// MagicCode is the MAGICCODE of every record AppendEncode writes: Java's
// MESSAGE_MAGIC_CODE (0xDAA320A7), layout v1, with a one-byte topic
// length.
const MagicCode = int32(-626843481)

// MagicCodeV2 is Java's MESSAGE_MAGIC_CODE_V2 (0xDAA320AB), layout v2: as
// v1 but with a two-byte topic length. A Java 5 broker stores (and serves)
// records of topics longer than 127 bytes in it (autoMessageVersionOnTopicLen),
// since Java reads the v1 length as a signed byte. Decode reads it; nothing
// here writes it: the official Go client ignores MAGICCODE and reads a
// one-byte length, so it can only decode v1, where a length up to 255 is
// read unsigned.
const MagicCodeV2 = int32(-626843477)

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

// magicV1 and magicV2 are MagicCode and MagicCodeV2 as the unsigned values
// on the wire.
const (
	magicV1 uint32 = 0xDAA320A7
	magicV2 uint32 = 0xDAA320AB
)
